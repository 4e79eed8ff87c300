"""A sent statement's documents (its PDF and CSV in each language), made once by the worker
and kept in the default storage.

Drawing the busiest partner's PDF takes some 20 s (14,624 lines, bench/RESULTS.md) and its
CSV 4-5 s, too long for a download. A sent statement's amounts are frozen, but its PDF also prints its status, the
partner's name and tax code and its e-invoice references, which may change after sending. The
stored name carries a fingerprint of all of them (and of LAYOUT), so a change makes a new name
(the CSV, which prints none of them, follows the PDF's name to keep one rule):
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
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from statements import selectors
from statements.models import Statement
from web.export import csv_response

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
# Bump when the PDF's drawing or wording changes, so every kept file is drawn again.
LAYOUT = "1"
TASK = "statements.tasks.store_statement_documents"
CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


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


def stored_name(
    statement: Statement, language: str, kind: str = "pdf", *, mark: str | None = None
) -> str:
    mark = mark or fingerprint(statement)
    return f"{folder(statement)}statement-{statement.pk}-{language}-{mark}.{kind}"


def render(statement: Statement, language: str, kind: str) -> bytes:
    from statements import pdf

    if kind == "pdf":
        return pdf.render_statement_pdf(statement, language=language)
    return render_statement_csv(statement, language=language)


def store(statement: Statement, language: str, kind: str, *, name: str | None = None) -> bytes:
    """Make the document and keep it under its name; returns its bytes."""
    content = render(statement, language, kind)
    name = name or stored_name(statement, language, kind)
    # Two downloads racing both draw; the second one's save finds the name taken and keeps
    # its copy under another name, which the next drawing removes.
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return content


def store_documents(*, statement_id: int) -> list[str]:
    """Make what is missing of a kept statement's documents (PDF and CSV, both languages) and
    remove the stale ones; returns the names kept. A draft (or a deleted one) keeps nothing."""
    statement = Statement.objects.select_related("partner").filter(pk=statement_id).first()
    if statement is None or not is_kept(statement):
        return []
    mark = fingerprint(statement)
    made = [(lang, kind) for kind in CONTENT_TYPES for lang in LANGUAGES]
    names = [stored_name(statement, lang, kind, mark=mark) for lang, kind in made]
    for (language, kind), name in zip(made, names, strict=True):
        if not default_storage.exists(name):
            store(statement, language, kind, name=name)
    _remove_others(statement, keep=names)
    return names


def _remove_others(statement: Statement, *, keep: list[str]) -> None:
    # A change committed meanwhile may have stored newer names that this removes: harmless,
    # its own task (or the next download) makes them again.
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


def download(statement: Statement, language: str, kind: str = "pdf"):
    """The statement's PDF or CSV as a download: a kept statement's stored file (made and
    stored now if missing), a draft's made for this request."""
    from web.downloads import private, stored_download

    if not is_kept(statement):
        content = render(statement, language, kind)
    else:
        name = stored_name(statement, language, kind)
        if default_storage.exists(name):
            return stored_download(
                default_storage,
                name,
                name=download_name(statement, language, kind),
                content_type=CONTENT_TYPES[kind],
            )
        content = store(statement, language, kind, name=name)
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = content_disposition_header(
        True, download_name(statement, language, kind)
    )
    return private(response)


def download_name(statement: Statement, language: str, kind: str) -> str:
    return f"statement-{statement.month:%Y-%m}-{language}.{kind}"


def render_statement_csv(statement: Statement, *, language: str) -> bytes:
    """Every line and the totals, UTF-8 with a BOM (web.export's rules), headed in `language`."""
    with translation.override(language):
        return csv_response("statement", _csv_header(), _csv_rows(statement)).content


def _csv_header() -> list[str]:
    return [
        _("Kind"),
        _("Customer"),
        _("Tax code"),
        _("Product"),
        _("From"),
        _("To"),
        _("Consumption (VND)"),
        _("Partner rate (%)"),
        _("Partner discount (VND)"),
        _("Customer rate (%)"),
        _("Customer discount (VND)"),
        _("Commission (VND)"),
        _("Description"),
    ]


def _csv_rows(statement: Statement):
    for line in selectors.lines_of(statement):
        yield [
            line.get_kind_display(),
            line.customer.name if line.customer else "",
            line.customer.tax_code if line.customer else "",
            line.product.display_name if line.product else "",
            line.first_day.isoformat() if line.first_day else "",
            line.last_day.isoformat() if line.last_day else "",
            line.consumption,
            line.partner_rate,
            line.partner_discount,
            line.customer_rate,
            line.customer_discount,
            line.amount,
            line.description,
        ]
    yield (
        [_("Total"), "", "", "", "", "", statement.consumption, "", statement.partner_discount]
        + ["", statement.customer_discount, statement.total, ""]
    )
