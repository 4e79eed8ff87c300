"""Partner admins' pages: API tokens (/team/tokens/) and webhook endpoints (/team/webhooks/)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors, services
from api.forms import TokenForm, WebhookForm
from notifications.webhooks import selectors as webhook_selectors
from notifications.webhooks import services as webhooks
from notifications.webhooks.transport import (
    ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)
from partners.access import partner_admin_required, partner_required
from web.submissions import Outcome, submit_once

ADMINS_ONLY = services.ADMINS_ONLY
WEBHOOKS_ADMINS_ONLY = webhooks.ADMINS_ONLY
RECENT_DELIVERIES = 50


@require_http_methods(["GET", "POST"])
@partner_required
@partner_admin_required(ADMINS_ONLY)
def token_list(request):
    """The partner's tokens and the form to create one.

    A new token's secret is shown on the answer to the POST itself, never put in a message or
    the session (both end up stored), so this view answers the POST with the page instead of
    redirecting. The page is never cached. A repeat of the same submission creates nothing
    and goes back to the list, saying the secret was shown on the first answer only.
    """
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def write():
            created, secret = services.create_api_token(
                partner=request.partner,
                by=request.user,
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
                sandbox=form.cleaned_data["environment"] == "sandbox",
            )
            page = _token_page(request, TokenForm(), created=created, secret=secret)
            again = _(
                "The token “%(name)s” was already created by this form. Its secret was shown "
                "only once; if you did not copy it, revoke the token and create another."
            ) % {"name": created.name}
            return Outcome(
                url=reverse("api_tokens"),
                response=page,
                replay_message=again,
                level=messages.WARNING,
            )

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            form.add_error(None, exc)
    return _token_page(request, form, status=400 if request.method == "POST" else 200)


def _token_page(request, form, *, created=None, secret=None, status=200):
    ctx = {
        "form": form,
        "tokens": selectors.tokens_for_partner(request.partner),
        "created": created,
        "secret": secret,
    }
    response = render(request, "api/token_list.html", ctx, status=status)
    add_never_cache_headers(response)
    return response


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def token_revoke(request, pk):
    token = selectors.get_token_for_partner(request.partner, pk)
    try:
        services.revoke_api_token(token, by=request.user)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The token “%(name)s” is revoked; requests with it are refused from now on.")
            % {"name": token.name},
        )
    return redirect("api_tokens")


@require_http_methods(["GET", "POST"])
@partner_required
@partner_admin_required(WEBHOOKS_ADMINS_ONLY)
def webhook_list(request):
    """The partner's webhook endpoints and the form to add one; the new endpoint's signing
    secret is shown on the answer to the POST only (never cached). A repeat of the same
    submission creates nothing and goes back to the list."""
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def write():
            created = webhooks.create_webhook_endpoint(
                partner=request.partner,
                by=request.user,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
            page = _webhook_page(request, WebhookForm(), created=created)
            again = _(
                "Events are already sent to %(url)s: this form created the endpoint before. "
                "Its signing secret was shown only once; if you did not copy it, delete the "
                "endpoint and add it again."
            ) % {"url": created.url}
            return Outcome(
                url=reverse("api_webhooks"),
                response=page,
                replay_message=again,
                level=messages.WARNING,
            )

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    return _webhook_page(request, form, status=400 if request.method == "POST" else 200)


def _webhook_page(request, form, *, created=None, rotated=None, status=200):
    ctx = {
        "form": form,
        "endpoints": webhook_selectors.webhook_endpoints_for_partner(request.partner),
        "deliveries": webhook_selectors.webhook_log_for_partner(
            request.partner, limit=RECENT_DELIVERIES
        ),
        "created": created,
        "rotated": rotated,
        "headers": (ID_HEADER, TIMESTAMP_HEADER, STANDARD_SIGNATURE_HEADER),
    }
    response = render(request, "api/webhook_list.html", ctx, status=status)
    add_never_cache_headers(response)
    return response


@require_POST
@partner_required
@partner_admin_required(WEBHOOKS_ADMINS_ONLY)
def webhook_delete(request, pk):
    endpoint = webhook_selectors.get_webhook_endpoint_for_partner(request.partner, pk)
    webhooks.delete_webhook_endpoint(endpoint, by=request.user)
    messages.success(request, _("Events are no longer sent to %(url)s.") % {"url": endpoint.url})
    return redirect("api_webhooks")


@require_POST
@partner_required
@partner_admin_required(WEBHOOKS_ADMINS_ONLY)
def webhook_redeliver(request, pk):
    delivery = webhook_selectors.get_webhook_delivery_for_partner(request.partner, pk)
    try:
        webhooks.redeliver_webhook(delivery, by=request.user)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Event #%(event)s is being sent again to %(url)s.")
            % {"event": delivery.event_id, "url": delivery.endpoint.url},
        )
    return redirect("api_webhooks")


@require_POST
@partner_required
@partner_admin_required(WEBHOOKS_ADMINS_ONLY)
def webhook_rotate(request, pk):
    """A new signing secret, shown on the answer to this POST only (never cached, so the page
    is answered, not redirected to); the previous one keeps signing for the grace period."""
    endpoint = webhook_selectors.get_webhook_endpoint_for_partner(request.partner, pk)
    try:
        rotated = webhooks.rotate_webhook_secret(endpoint, by=request.user)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
        return redirect("api_webhooks")
    return _webhook_page(request, WebhookForm(), rotated=rotated)


@require_POST
@partner_required
@partner_admin_required(WEBHOOKS_ADMINS_ONLY)
def webhook_test(request, pk):
    endpoint = webhook_selectors.get_webhook_endpoint_for_partner(request.partner, pk)
    try:
        delivery = webhooks.send_test_webhook(endpoint, by=request.user)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("A test event (#%(event)s) is on its way to %(url)s; its result is in the log below.")
            % {"event": delivery.event_id, "url": endpoint.url},
        )
    return redirect("api_webhooks")


@require_POST
@partner_required
@partner_admin_required(WEBHOOKS_ADMINS_ONLY)
def webhook_pause(request, pk):
    """Pause the endpoint, or resume it (the form says which)."""
    endpoint = webhook_selectors.get_webhook_endpoint_for_partner(request.partner, pk)
    paused = request.POST.get("paused") == "1"
    try:
        webhooks.update_webhook_endpoint(endpoint, by=request.user, paused=paused)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
    else:
        text = (
            _("Events are no longer sent to %(url)s until you resume it.")
            if paused
            else _("Events are sent to %(url)s again, those held first.")
        )
        messages.success(request, text % {"url": endpoint.url})
    return redirect("api_webhooks")
