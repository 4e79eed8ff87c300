"""The partner's own team page (/team/) and the invitation link: partner admins run access.

Everyone in the partner sees the list; only admins change it (a member's POST answers 403).
Each change is one service in accounts.services.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors, services
from accounts.forms import (
    AcceptInvitationForm,
    ActivityFilterForm,
    InviteForm,
    RoleForm,
    TwoFactorRuleForm,
)
from notifications.activity import VIA_LABELS, action_label, describe_changes, describe_data
from partners.access import partner_admin_required, partner_required
from web.export import csv_streaming_response
from web.submissions import Outcome, submit_once

ADMINS_ONLY = gettext_lazy("Only your organisation's admins can change the team.")
ADMINS_ONLY_ACTIVITY = gettext_lazy("Only your organisation's admins can read its activity log.")


def _team_page(request, *, invite_form=None, status=200):
    ctx = {
        "members": selectors.team_members(request.partner),
        "invitations": selectors.open_invitations(request.partner),
        "invite_form": invite_form or InviteForm(),
        "rule_form": TwoFactorRuleForm(initial={"required": request.partner.require_2fa}),
        "roles": RoleForm.base_fields["role"].choices,
        "now": timezone.now(),
    }
    return render(request, "accounts/team.html", ctx, status=status)


@require_safe
@partner_required
def team(request):
    return _team_page(request)


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def team_invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():

        def write():
            try:
                invitation, _token = services.invite_user(
                    partner=request.partner,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except services.TeamError as error:
                raise ValidationError({"email": str(error)}) from error
            message = _("Invitation sent to %(email)s.") % {"email": invitation.email}
            return Outcome(url=reverse("team"), message=message)

        try:
            return submit_once(request, write)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    return _team_page(request, invite_form=form, status=400)


def _member_change(request, user_id, change, done_message):
    membership = selectors.get_team_member(request.partner, user_id)
    try:
        change(membership)
    except services.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done_message % {"name": membership.user})
    return redirect("team")


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def team_role(request, user_id):
    form = RoleForm(request.POST)
    if not form.is_valid():
        selectors.get_team_member(request.partner, user_id)
        messages.error(request, _("Choose a role."))
        return redirect("team")
    role = form.cleaned_data["role"]
    return _member_change(
        request,
        user_id,
        lambda m: services.change_role(membership=m, role=role, by=request.user),
        _("%(name)s's role is changed."),
    )


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def team_deactivate(request, user_id):
    return _member_change(
        request,
        user_id,
        lambda m: services.deactivate_user(membership=m, by=request.user),
        _("%(name)s can no longer sign in and was signed out everywhere."),
    )


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def team_reactivate(request, user_id):
    return _member_change(
        request,
        user_id,
        lambda m: services.reactivate_user(membership=m, by=request.user),
        _("%(name)s can sign in again."),
    )


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def team_revoke_invitation(request, pk):
    invitation = selectors.get_open_invitation(request.partner, pk)
    try:
        services.revoke_invitation(invitation=invitation, by=request.user)
    except services.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The invitation is revoked; its link no longer works."))
    return redirect("team")


@require_POST
@partner_required
@partner_admin_required(ADMINS_ONLY)
def team_two_factor(request):
    form = TwoFactorRuleForm(request.POST)
    form.is_valid()
    required = form.cleaned_data.get("required", False)
    services.set_two_factor_rule(partner=request.partner, required=required, by=request.user)
    if required:
        messages.success(request, _("Two-factor sign-in is now required for everyone."))
    else:
        messages.success(request, _("Two-factor sign-in is no longer required."))
    return redirect("team")


# The portal page of an object an entry is about, by its content type (app label, model).
ACTIVITY_LINKS = {("deals", "deal"): "deal_detail", ("discounts", "discount"): "discount_detail"}


def _activity_filters(request):
    form = ActivityFilterForm(request.GET or None, partner=request.partner)
    return form, form.value("action"), form.value("actor")


def _who(entry) -> str:
    if entry.actor is None:
        return _("Automatic")
    if entry.actor.is_staff:
        return _("%(name)s (VNG Cloud)") % {"name": entry.actor}
    return str(entry.actor)


def _activity_row(entry) -> dict:
    content_type = entry.content_type
    link = (
        ACTIVITY_LINKS.get((content_type.app_label, content_type.model)) if content_type else None
    )
    return {
        "entry": entry,
        "who": _who(entry),
        "via": VIA_LABELS.get(entry.via, entry.via),
        "what": action_label(entry.action),
        "url": reverse(link, args=[entry.object_id]) if link else "",
        "changes": describe_changes(entry),
        "details": describe_data(entry),
    }


@require_safe
@partner_required
@partner_admin_required(ADMINS_ONLY_ACTIVITY)
def team_activity(request):
    """The organisation's activity log: who changed what and when, newest first, by kind
    and person; keyset-paged, so the 1,000th page costs what the first does."""
    form, action, actor = _activity_filters(request)
    page = selectors.activity_page(
        request.partner, action=action, actor=actor, cursor=request.GET.get("cursor", "")
    )
    query = {key: value for key, value in (("action", action), ("actor", actor)) if value}
    ctx = {
        "form": form,
        "page": page,
        "rows": [_activity_row(entry) for entry in page.rows],
        "query_string": urlencode(query),
    }
    return render(request, "accounts/team_activity.html", ctx)


def _csv_row(entry) -> list:
    row = _activity_row(entry)
    return [
        timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
        row["who"],
        row["via"],
        row["what"],
        entry.object_repr,
        "; ".join(f"{c.label}: {c.before} → {c.after}" for c in row["changes"]),
        "; ".join(f"{label}: {text}" for label, text in row["details"]),
    ]


@require_safe
@partner_required
@partner_admin_required(ADMINS_ONLY_ACTIVITY)
def team_activity_export(request):
    """The activity log as CSV, with the page's filters; streamed, however long it is."""
    _form, action, actor = _activity_filters(request)
    entries = selectors.partner_activity(request.partner, action=action, actor=actor)
    header = [_("When"), _("Who"), _("Via"), _("What"), _("Object"), _("Changes"), _("Details")]
    return csv_streaming_response(
        "activity", header, (_csv_row(entry) for entry in entries.iterator(chunk_size=500))
    )


def invitation_accept(request, token):
    """The e-mailed link: set a name and password, then sign in. Works once, for 7 days."""
    try:
        invitation = services.open_invitation(token)
    except services.TeamError as error:
        return render(request, "accounts/invitation_accept.html", {"error": error}, status=410)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except services.TeamError as error:
            return render(request, "accounts/invitation_accept.html", {"error": error}, status=410)
        messages.success(request, _("Your account is ready. Sign in with your new password."))
        return redirect("account_login")
    ctx = {"invitation": invitation, "form": form}
    return render(
        request, "accounts/invitation_accept.html", ctx, status=400 if form.errors else 200
    )
