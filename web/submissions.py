"""One-time submission keys: a portal form that creates something creates it once.

Every such form carries a hidden `submission_key`, a random key issued when the form is
rendered (`{% submission_key %}`). The view runs its write through `submit_once`:

- the first POST with a key inserts a `SubmissionKey` row in the same transaction as the
  write, and keeps where its answer went (the page and the message);
- a repeat of the same submission (a double click, back and resubmit, a retry after a
  network error, a second tab racing the first) inserts the same (user, key) and fails on
  the unique index: on PostgreSQL it waits there until the first commits. It writes nothing
  and is sent where the first one went, with the first one's message (shown once);
- the same key with other content (the form restored by the browser, then edited) writes
  nothing and says so on the form, which is shown again with what was typed and a new key;
- a write that fails (a refusal, an error) rolls its row back: the key is free for a retry.

The API's `Idempotency-Key` (api/idempotency.py) follows the same idea for API clients. A
POST without a key (a page rendered before this existed) is not guarded. Rows older than
SUBMISSION_KEY_TTL are deleted by `purge_submission_keys` (a command and a beat task).
"""

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from web.digests import sha256_hex, upload_digest
from web.htmx import done
from web.models import SubmissionKey

FIELD = "submission_key"
SUBMISSION_KEY_TTL = timedelta(hours=24)
_VALID_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Not part of what was submitted: the CSRF token changes when the person signs in again.
_NOT_CONTENT = {FIELD, "csrfmiddlewaretoken"}


def new_key() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class Outcome:
    """What a successful write answers: a page to go to and a message to show there.

    `response` answers the first POST instead of the redirect (a secret shown only once);
    `replay_message`, when set, is what a repeat shows instead of `message`.
    """

    url: str
    message: str = ""
    level: int = messages.SUCCESS
    response: HttpResponse | None = None
    replay_message: str = ""


def _key(request) -> str | None:
    key = request.POST.get(FIELD, "")
    return key if _VALID_KEY.match(key) else None


def fingerprint(request) -> str:
    """What makes two submissions "the same": the path, the fields and the files' contents."""
    fields = sorted(
        [name, value]
        for name, values in request.POST.lists()
        if name not in _NOT_CONTENT
        for value in values
    )
    files = sorted(
        [name, *upload_digest(upload)]
        for name, uploads in request.FILES.lists()
        for upload in uploads
    )
    raw = json.dumps([request.path, fields, files], sort_keys=True)
    return sha256_hex(raw)


def submit_once(request, write: Callable[[], Outcome]) -> HttpResponse:
    """Run `write` once per submission key and answer with its outcome (or the first one's).

    `write` raises ValidationError to refuse: it propagates, nothing is kept, and the key
    stays free. A key already used with other content raises ValidationError on the form as
    a whole (code "submission_reused"), having written nothing.
    """
    key = _key(request)
    if key is None or not request.user.is_authenticated:
        return _answer(request, write())
    print_ = fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = SubmissionKey.objects.create(user=request.user, key=key, fingerprint=print_)
        except IntegrityError:
            # The same submission committed first (or we waited for it to): its answer.
            first = SubmissionKey.objects.get(user=request.user, key=key)
            return _replay(request, first, print_)
        outcome = write()
        claim.url = outcome.url
        claim.message = outcome.replay_message or outcome.message
        claim.level = outcome.level
        claim.save(update_fields=["url", "message", "level"])
    return _answer(request, outcome)


def replayed(request) -> HttpResponse | None:
    """The first answer, when this very submission was saved already (else None): for a form
    whose checks depend on what the first one changed (a deal's stage), which would refuse the
    repeat before `submit_once` could recognise it. Other content under the key is left to
    `submit_once`, after the form's own checks."""
    key = _key(request)
    if key is None or not request.user.is_authenticated:
        return None
    first = SubmissionKey.objects.filter(user=request.user, key=key).first()
    if first is None or first.fingerprint != fingerprint(request):
        return None
    return _first_answer(request, first)


def _first_answer(request, first: SubmissionKey) -> HttpResponse:
    return _answer(request, Outcome(url=first.url, message=first.message, level=first.level))


def _answer(request, outcome: Outcome) -> HttpResponse:
    if outcome.response is not None:
        return outcome.response
    if outcome.message:
        add_message_once(request, outcome.level, outcome.message)
    return done(request, outcome.url)


def _replay(request, first: SubmissionKey, print_: str) -> HttpResponse:
    if first.fingerprint != print_:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "This form was already sent and saved, with other content. Nothing was "
                    "saved now. To save what you see as a new entry, send it again."
                )
            },
            code="submission_reused",
        )
    return _first_answer(request, first)


def add_message_once(request, level: int, text: str):
    """Add the message unless the same one is already waiting to be shown (the first of two
    identical submissions put it there)."""
    storage = messages.get_messages(request)
    waiting = [message.message for message in storage]
    storage.used = False  # iterating marked them as shown; they are not yet
    if text not in waiting:
        messages.add_message(request, level, text)


def purge_submission_keys(*, now=None) -> int:
    """Delete the keys older than SUBMISSION_KEY_TTL; returns how many went."""
    cutoff = (now or timezone.now()) - SUBMISSION_KEY_TTL
    deleted, _by_model = SubmissionKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
