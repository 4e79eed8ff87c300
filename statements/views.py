"""Partner pages: /statements/ (keyset-paged) and /statements/<id>/ with its lines, totals,
answer (confirm or dispute), thread, CSV, PDF and e-invoices."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.access import partner_required
from statements import selectors
from statements.documents import LANGUAGES, download
from statements.services.workflow import add_message, confirm_statement, dispute_statement
from web.downloads import file_download


@partner_required
def statement_list(request):
    page = selectors.statement_page(request.partner, cursor=request.GET.get("cursor", ""))
    return render(request, "statements/statement_list.html", {"page": page})


def _detail_ctx(request, statement, **extra):
    return {
        "statement": statement,
        "page": selectors.line_page(statement, cursor=request.GET.get("cursor", "")),
        "thread": list(statement.messages.select_related("author")),
        "einvoices": list(selectors.einvoices_of(statement)),
        "can_answer": request.membership.is_admin
        and statement.status in (statement.Status.SENT, statement.Status.DISPUTED),
        "can_dispute": request.membership.is_admin and statement.status == statement.Status.SENT,
        **extra,
    }


@partner_required
def statement_detail(request, pk):
    statement = selectors.get_statement_for_partner(request.partner, pk)
    return render(request, "statements/statement_detail.html", _detail_ctx(request, statement))


def _answer(request, pk, write, success):
    statement = selectors.get_statement_for_partner(request.partner, pk)
    try:
        write(statement)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        ctx = _detail_ctx(request, statement, errors=[e for v in errors.values() for e in v])
        ctx["text"] = request.POST.get("reason") or request.POST.get("text", "")
        return render(request, "statements/statement_detail.html", ctx, status=400)
    else:
        messages.success(request, success)
    return redirect(statement.get_absolute_url())


@require_POST
@partner_required
def statement_confirm(request, pk):
    return _answer(
        request,
        pk,
        lambda s: confirm_statement(s, by=request.user),
        _("You confirmed the statement."),
    )


@require_POST
@partner_required
def statement_dispute(request, pk):
    reason = request.POST.get("reason", "")
    return _answer(
        request,
        pk,
        lambda s: dispute_statement(s, by=request.user, reason=reason),
        _("You disputed the statement; VNG Cloud will answer in its thread."),
    )


@require_POST
@partner_required
def statement_message(request, pk):
    text = request.POST.get("text", "")
    return _answer(
        request,
        pk,
        lambda s: add_message(s, by=request.user, text=text),
        _("Your message was added."),
    )


@partner_required
def statement_csv(request, pk):
    statement = selectors.get_statement_for_partner(request.partner, pk)
    return download(statement, _language(request), "csv")


@partner_required
def statement_pdf(request, pk):
    statement = selectors.get_statement_for_partner(request.partner, pk)
    language = request.GET.get("lang") or translation.get_language()
    if language not in LANGUAGES:
        raise Http404
    return download(statement, language)


def _language(request) -> str:
    language = translation.get_language()
    return language if language in LANGUAGES else LANGUAGES[0]


@partner_required
def einvoice_download(request, pk, kind):
    invoice = selectors.get_einvoice_for_partner(request.partner, pk)
    stored = invoice.pdf if kind == "pdf" else invoice.xml
    if not stored:
        raise Http404
    content_type = "application/pdf" if kind == "pdf" else "application/xml"
    name = f"e-invoice-{invoice.form}{invoice.series}-{invoice.number}.{kind}"
    return file_download(stored, name=name, content_type=content_type)


def month_label(statement) -> str:
    return date_format(statement.month, "YEAR_MONTH_FORMAT")
