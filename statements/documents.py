"""A sent statement's PDFs, drawn once by the worker and kept in the default storage.

Drawing the busiest partner's PDF takes some 20 s (14,624 lines, bench/RESULTS.md), too long
for a download. A sent statement's amounts are frozen, but its PDF also prints its status, the
partner's name and tax code and its e-invoice references, which may change after sending. The
stored name carries a fingerprint of all of them (and of LAYOUT), so a change makes a new name:
nothing stored is ever stale, only missing. Each change that alters one enqueues the drawing
(`enqueue_documents`); a download that finds no file draws it on the spot and stores it. Drafts
are drawn on each download (their figures change). Stale names are removed by the next drawing.
"""

import hashlib
import logging

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from statements import selectors
from statements.models import Statement

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
# Bump when the PDF's drawing or wording changes, so every kept file is drawn again.
LAYOUT = "1"
TASK = "statements.tasks.store_statement_documents"
PDF = "application/pdf"


def is_kept(statement: Statement) -> bool:
    return statement.status in Statement.VISIBLE


def folder(statement: Statement) -> str:
    return f"statements/{statement.pk}/"


def fingerprint(statement: Statement) -> str:
    """What the PDF prints besides the frozen lines and totals."""
    invoices = selectors.einvoices_of(statement).values_list(
        "pk", "form", "series", "number", "issued_on"
    )
    partner = statement.partner
    parts = (LAYOUT, statement.status, partner.name, partner.tax_code, repr(list(invoices)))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def stored_name(statement: Statement, language: str, *, mark: str | None = None) -> str:
    mark = mark or fingerprint(statement)
    return f"{folder(statement)}statement-{statement.pk}-{language}-{mark}.pdf"


def store_pdf(statement: Statement, language: str, *, name: str | None = None) -> bytes:
    """Draw the PDF and keep it under its name; returns its bytes."""
    from statements.pdf import render_statement_pdf

    content = render_statement_pdf(statement, language=language)
    name = name or stored_name(statement, language)
    # Two downloads racing both draw; the second one's save finds the name taken and keeps
    # its copy under another name, which the next drawing removes.
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return content


def store_documents(*, statement_id: int) -> list[str]:
    """Draw what is missing of a kept statement's PDFs (both languages) and remove the stale
    ones; returns the names kept. A draft (or a deleted statement) keeps nothing."""
    statement = Statement.objects.select_related("partner").filter(pk=statement_id).first()
    if statement is None or not is_kept(statement):
        return []
    mark = fingerprint(statement)
    names = [stored_name(statement, language, mark=mark) for language in LANGUAGES]
    for language, name in zip(LANGUAGES, names, strict=True):
        if not default_storage.exists(name):
            store_pdf(statement, language, name=name)
    _remove_others(statement, keep=names)
    return names


def _remove_others(statement: Statement, *, keep: list[str]) -> None:
    try:
        _dirs, files = default_storage.listdir(folder(statement))
    except FileNotFoundError:
        return
    for file in files:
        if folder(statement) + file not in keep:
            default_storage.delete(folder(statement) + file)


def enqueue_documents(statement: Statement) -> None:
    """After commit, hand the drawing to the worker; without a broker (`make run`, tests) this
    process draws. A failure is logged, not raised: the change is committed, and the download
    draws what is missing."""
    transaction.on_commit(lambda pk=statement.pk: _enqueue(pk))


def _enqueue(statement_id: int) -> None:
    try:
        if settings.CELERY_BROKER_URL:
            current_app.send_task(TASK, args=[statement_id])
        else:
            store_documents(statement_id=statement_id)
    except Exception:  # noqa: BLE001 - the download draws what the worker could not
        logger.exception("could not store the documents of statement %s", statement_id)


def pdf_download(statement: Statement, language: str):
    """The statement's PDF as a download: a kept statement's stored file (drawn and stored now
    if missing), a draft's drawn for this request."""
    from statements.pdf import download_name, render_statement_pdf, response_for
    from web.downloads import stored_download

    if not is_kept(statement):
        return response_for(statement, render_statement_pdf(statement, language=language), language)
    name = stored_name(statement, language)
    if default_storage.exists(name):
        return stored_download(
            default_storage, name, name=download_name(statement, language), content_type=PDF
        )
    return response_for(statement, store_pdf(statement, language, name=name), language)
