"""Partner pages of the money loop: cloud accounts, top-ups, the credit ledger; and the
customer's confirmation page (no login: the e-mailed token is the credential)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing import selectors
from billing.documents import top_up_documents
from billing.forms import CloudAccountRequestForm, TopUpForm
from billing.services.accounts import (
    cancel_cloud_account,
    confirm_cloud_account,
    open_confirmation,
    request_cloud_account,
    resend_confirmation,
)
from billing.services.credit import ADMINS_ONLY_TOP_UP, top_up, vnd
from partners import selectors as partner_selectors
from partners.access import partner_admin_required, partner_required
from web.submissions import Outcome, submit_once


def _show_error(form, exc: ValidationError):
    """A service's refusal on the form: field errors on their fields, the rest above it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@partner_required
def cloud_account_list(request):
    page = selectors.cloud_account_page(request.partner, cursor=request.GET.get("cursor", ""))
    ctx = {"page": page, "balance": selectors.balance(request.partner)}
    return render(request, "billing/cloud_account_list.html", ctx)


@partner_required
def credit_ledger(request):
    page = selectors.ledger_page(request.partner, cursor=request.GET.get("cursor", ""))
    ctx = {"page": page, "balance": selectors.balance(request.partner)}
    return render(request, "billing/credit_ledger.html", ctx)


@partner_required
def top_up_list(request):
    page = selectors.top_up_page(request.partner, cursor=request.GET.get("cursor", ""))
    ctx = {"page": page, "balance": selectors.balance(request.partner)}
    return render(request, "billing/top_up_list.html", ctx)


@partner_required
def top_up_detail(request, pk):
    """A top-up, billing's answer, and its e-invoices (PDF and XML) once recorded."""
    top_up_ = selectors.get_top_up_for_partner(request.partner, pk)
    ctx = {"top_up": top_up_, "einvoices": top_up_documents([top_up_]).get(top_up_.pk, [])}
    return render(request, "billing/top_up_detail.html", ctx)


def _detail_ctx(request, account, form=None) -> dict:
    return {
        "account": account,
        "top_ups": selectors.top_ups_of(account, request.partner)[:20],
        "balance": selectors.balance(request.partner),
        "form": form or TopUpForm(),
        "can_top_up": request.membership.is_admin and account.status == account.Status.ACTIVE,
    }


@partner_required
def cloud_account_detail(request, pk):
    account = selectors.get_cloud_account_for_partner(request.partner, pk)
    return render(request, "billing/cloud_account_detail.html", _detail_ctx(request, account))


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY_TOP_UP)
def cloud_account_top_up(request, pk):
    """Top the account up from the partner's balance: once per submission key."""
    account = selectors.get_cloud_account_for_partner(request.partner, pk)
    form = TopUpForm(request.POST)
    if form.is_valid():

        def write():
            made = top_up(
                account,
                partner=request.partner,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
            message = _("%(amount)s đồng is on its way to %(account)s; billing confirms it.") % {
                "amount": vnd(made.amount),
                "account": account.label,
            }
            return Outcome(url=account_url(account), message=message)

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            _show_error(form, exc)
    ctx = _detail_ctx(request, account, form)
    return render(request, "billing/cloud_account_detail.html", ctx, status=400)


def account_url(account) -> str:
    return reverse("cloud_account_detail", args=[account.pk])


@require_POST
@partner_required
def cloud_account_resend(request, pk):
    account = selectors.get_cloud_account_for_partner(request.partner, pk)
    try:
        resend_confirmation(account, by=request.user, language=translation.get_language())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("A new confirmation link was sent to %(email)s.") % {"email": account.email}
        )
    return redirect(account_url(account))


@require_POST
@partner_required
def cloud_account_cancel(request, pk):
    """Withdraw the partner's own request while it waits for the customer or for VNG Cloud."""
    account = selectors.get_cloud_account_for_partner(request.partner, pk)
    try:
        cancel_cloud_account(account, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The request was cancelled; the customer's link no longer works.")
        )
    return redirect(account_url(account))


@require_http_methods(["GET", "POST"])
@partner_required
def cloud_account_request(request, pk):
    """Link a customer's VNG Cloud account, or ask for a new one."""
    customer = partner_selectors.get_customer_for_partner(request.partner, pk, in_force=False)
    form = CloudAccountRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():

        def write():
            account = request_cloud_account(
                partner=request.partner,
                customer=customer,
                by=request.user,
                language=translation.get_language(),
                **form.cleaned_data,
            )
            message = _(
                "We e-mailed %(email)s a link to confirm; then VNG Cloud approves the account."
            ) % {"email": account.email}
            return Outcome(url=account_url(account), message=message)

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            _show_error(form, exc)
    ctx = {"customer": customer, "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "billing/cloud_account_request.html", ctx, status=status)


LANGUAGES = ("vi", "en")


@require_http_methods(["GET", "POST"])
def cloud_account_confirm(request, token):
    """The customer's page: GET shows the request (a mail scanner's visit changes nothing),
    POST confirms it. Vietnamese or English (`?lang=`), whatever the portal's cookie."""
    language = request.GET.get("lang") or ""
    try:
        confirmation = open_confirmation(token)
        error = None
    except ValidationError as exc:
        confirmation, error = None, exc
    if language not in LANGUAGES:
        language = confirmation.language if confirmation else translation.get_language()
    with translation.override(language):
        done = False
        if request.method == "POST" and error is None:
            try:
                confirm_cloud_account(token=token)
                done = True
            except ValidationError as exc:
                error = exc
        ctx = {
            "confirmation": confirmation,
            "account": confirmation.cloud_account if confirmation else None,
            "error": " ".join(error.messages) if error else "",
            "done": done,
            "language": language,
            "other_language": "en" if language == "vi" else "vi",
        }
        status = (
            410 if error is not None and getattr(error, "code", "") in ("used", "expired") else 200
        )
        if error is not None and getattr(error, "code", "") == "invalid":
            status = 404
        response = render(request, "billing/confirm.html", ctx, status=status)
    response["Content-Language"] = language
    # The token is in the address: no other site sees it in a Referer. ("no-referrer" would
    # make the browser send "Origin: null" with the form, which CSRF protection refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response
