"""The API tokens page (/team/tokens/): partner admins create, see and revoke tokens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors, services
from api.forms import TokenForm
from partners.access import partner_admin_required, partner_required

ADMINS_ONLY = _lazy("Only an admin of your organisation can manage API tokens.")


@require_http_methods(["GET", "POST"])
@partner_required
@partner_admin_required(ADMINS_ONLY)
def token_list(request):
    """The partner's tokens and the form to create one.

    A new token's secret is shown on the answer to the POST itself, never put in a message or
    the session (both end up stored), so this view answers the POST with the page instead of
    redirecting. The page is never cached.
    """
    form = TokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.create_api_token(
                partner=request.partner,
                by=request.user,
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenForm()
    ctx = {
        "form": form,
        "tokens": selectors.tokens_for_partner(request.partner),
        "created": created,
        "secret": secret,
    }
    status = 400 if request.method == "POST" and created is None else 200
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
