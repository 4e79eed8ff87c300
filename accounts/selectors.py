"""Reads on a partner's team and a user's own sign-ins and sessions."""

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from axes.models import AccessLog
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Invitation
from notifications.models import Activity
from partners.models import Membership, Partner
from web.paging import KeysetPage, keyset_page

ACTIVITY_ORDERING = ("-created_at", "-pk")
# The person filter's choice for entries written by VNG Cloud staff.
STAFF_ACTOR = "staff"


def team_members(partner: Partner) -> QuerySet[Membership]:
    """The partner's people, admins first, with `has_2fa` (a TOTP authenticator)."""
    totp = Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP)
    return (
        Membership.objects.filter(partner=partner)
        .select_related("user")
        .annotate(has_2fa=Exists(totp))
        .order_by("-user__is_active", "role", "user__email", "pk")
    )


def get_team_member(partner: Partner, user_id) -> Membership:
    """The membership of the user in this partner; another partner's user answers 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "partner"), partner=partner, user_id=user_id
    )


def open_invitations(partner: Partner) -> QuerySet[Invitation]:
    """Invitations not yet used or revoked (expired ones included, marked by the page)."""
    return Invitation.objects.filter(
        partner=partner, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at", "-pk")


def get_open_invitation(partner: Partner, pk) -> Invitation:
    return get_object_or_404(open_invitations(partner), pk=pk)


def recent_sign_ins(user, *, limit: int = 10):
    """The user's latest successful sign-ins (time, address, browser), newest first."""
    return AccessLog.objects.filter(username=user.get_username()).order_by("-attempt_time")[:limit]


def signed_in_sessions(user) -> QuerySet[UserSession]:
    """The user's sessions that are still signed in, newest first."""
    return UserSession.objects.filter(user=user).order_by("-created_at", "-pk")


def partner_activity(partner: Partner, *, action: str = "", actor: str = "") -> QuerySet[Activity]:
    """The partner's own activity log, newest first (index activity_partner_recent), filtered
    by kind and by person (a member's id, or STAFF_ACTOR for anybody of VNG Cloud). Only
    entries concerning this partner: another partner's never show."""
    entries = Activity.objects.filter(partner=partner).select_related("actor", "content_type")
    if action:
        entries = entries.filter(action=action)
    if actor == STAFF_ACTOR:
        entries = entries.filter(actor__is_staff=True)
    elif actor:
        entries = entries.filter(actor_id=actor)
    return entries.order_by(*ACTIVITY_ORDERING)


def activity_page(partner: Partner, *, action="", actor="", cursor="") -> KeysetPage:
    """One page of `partner_activity`; no total is shown, so none is counted."""
    return keyset_page(
        partner_activity(partner, action=action, actor=actor),
        ordering=ACTIVITY_ORDERING,
        cursor=cursor,
        scope=f"activity|{partner.pk}|{action}|{actor}",
        count=False,
    )
