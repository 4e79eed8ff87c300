"""Active content in a PDF, found from its objects as pypdf parses them, never by scanning
bytes (a name can be written `/J#61vaScript`, and an object can sit compressed in an object
stream).

Every object reachable from the trailer is visited once (what a reader can act on), each
dictionary checked for:

- JavaScript: an action of type /JavaScript, a /JS entry, or the document's /JavaScript name
  tree;
- a /Launch action (runs a program or opens a file);
- an embedded file: the /EmbeddedFiles name tree, a file specification's /EF, an
  /EmbeddedFile stream or a file-attachment annotation;
- an /OpenAction that is an action other than going to a page (a URI, a form submission, ...:
  it runs when the file opens).

A PDF that pypdf cannot read, or that needs a password to open, is refused: what cannot be
read cannot be checked.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# A document with more objects than this is refused rather than walked for minutes.
MAX_OBJECTS = 500_000
EMBEDDED_KEYS = ("/EmbeddedFiles", "/EF")


def _refused(what: str) -> ValidationError:
    return ValidationError(
        _("the PDF %(what)s; PDFs with active content are not accepted.") % {"what": what},
        code="active_content",
    )


def check_pdf(upload) -> None:
    """Refuse a PDF with JavaScript, a Launch action, an embedded file or an action run on
    opening, and one that cannot be read or needs a password; a ValidationError says which."""
    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                _("the PDF is password-protected, so its content cannot be checked."),
                code="pdf_encrypted",
            )
        _walk(reader.trailer)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, OSError, RecursionError):
        # pypdf's own errors and what a malformed object makes its parsing raise.
        raise ValidationError(
            _("the PDF is damaged or incomplete, so its content cannot be checked."),
            code="bad_pdf",
        ) from None
    finally:
        upload.seek(0)


def _walk(root) -> None:
    """Visit every object reachable from `root` once (iteratively: no recursion to exhaust)."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            if len(seen) > MAX_OBJECTS:
                raise ValidationError(
                    _("the PDF holds more than %(n)s objects.") % {"n": MAX_OBJECTS},
                    code="pdf_too_complex",
                )
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams are dictionaries too
            _check_dictionary(obj)
            stack.extend(dict.values(obj))  # the raw values: references stay references
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))


def _get(obj: DictionaryObject, key: str):
    """The value under `key`, an indirect reference followed (dict.get would not follow it)."""
    return obj[key] if key in obj else None


def _check_dictionary(obj: DictionaryObject) -> None:
    action = _get(obj, "/S")
    if action == "/JavaScript" or "/JS" in obj or "/JavaScript" in obj:
        raise _refused(_("holds JavaScript"))
    if action == "/Launch":
        raise _refused(_("can launch a program or open a file (a /Launch action)"))
    if (
        any(key in obj for key in EMBEDDED_KEYS)
        or _get(obj, "/Type") == "/EmbeddedFile"
        or _get(obj, "/Subtype") == "/FileAttachment"
    ):
        raise _refused(_("holds an embedded file"))
    if "/OpenAction" in obj:
        opening = obj["/OpenAction"]  # a destination array, or an action dictionary
        kind = _get(opening, "/S") if isinstance(opening, DictionaryObject) else None
        if kind not in (None, "/GoTo"):
            raise _refused(
                _("runs an action when it opens (/OpenAction %(action)s)")
                % {"action": str(kind)[:40]}
            )
