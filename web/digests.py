"""SHA-256 in one place: of a text (secrets, fingerprints, cache keys) and of an upload.

A token's secret has 256 random bits, so its SHA-256 is all that needs keeping: no one can
guess the secret from the hash, and a slow password hash would only cost every request.
"""

import hashlib


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def upload_digest(upload) -> list:
    """[name, size, SHA-256 of the contents] of an uploaded file, read in chunks; the file is
    left at its start for whoever reads it next."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return [upload.name, upload.size, digest.hexdigest()]
