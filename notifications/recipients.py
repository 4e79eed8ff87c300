"""Who hears of an event: resolved when the event is fanned out, not when it is written.

Partner events go to the partner's active admins and the deal's creator (while still a member
of that partner); staff events go to the active staff in the reviewers group and to the
addresses in STAFF_NOTIFICATION_EMAILS; a sandbox's events go to no person (only to its
webhook endpoints). A user without an e-mail address still gets the in-app
notification; a deactivated user gets nothing; a partner without admins is not an error.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model

from notifications.models import AUDIENCE, WEBHOOK_ONLY, Audience, Event, Kind, Preference
from partners.access import membership_of
from partners.models import Membership, Partner


@dataclass(frozen=True)
class Recipient:
    user: object | None
    email: str
    language: str
    wants_email: bool


def _partner_users(event: Event) -> list:
    partner_id = event.partner_id or (event.deal.partner_id if event.deal_id else None)
    if partner_id is None:
        return []
    members = Membership.objects.filter(partner_id=partner_id, user__is_active=True)
    users = {m.user_id: m.user for m in members.select_related("user") if m.is_admin}
    creator_id = event.deal.created_by_id if event.deal_id else None
    if creator_id and creator_id not in users:
        creator = members.filter(user_id=creator_id).select_related("user").first()
        if creator is not None:
            users[creator_id] = creator.user
    return list(users.values())


def _staff_users() -> list:
    return list(
        get_user_model().objects.filter(
            groups__name=settings.NOTIFICATION_REVIEWERS_GROUP, is_active=True, is_staff=True
        )
    )


def _staff_addresses(known: set[str]) -> tuple[list, list[str]]:
    """Users behind the STAFF_NOTIFICATION_EMAILS addresses, and the bare addresses left."""
    wanted = {a.strip().lower() for a in settings.STAFF_NOTIFICATION_EMAILS if a.strip()}
    wanted -= known
    users = list(get_user_model().objects.filter(email__in=wanted))
    bare = sorted(wanted - {u.email.lower() for u in users})
    # A deactivated user's address is skipped even when it is listed.
    return [u for u in users if u.is_active], bare


def _in_sandbox(event: Event) -> bool:
    """A sandbox's event: its webhook endpoints hear of it, never a person (its partner's
    people work in the real organisation; staff never review a sandbox)."""
    partner_id = event.partner_id or (event.deal.partner_id if event.deal_id else None)
    return (
        partner_id is not None
        and Partner.objects.filter(pk=partner_id, sandbox_of__isnull=False).exists()
    )


def recipients_for(event: Event) -> list[Recipient]:
    """Every person the event goes to, once each, with their language and e-mail choice;
    nobody for a sandbox's event."""
    if event.kind in WEBHOOK_ONLY or _in_sandbox(event):
        return []
    if event.audience == Audience.CUSTOMER:
        params = event.params or {}
        language = params.get("language") or settings.LANGUAGE_CODE
        return [Recipient(None, params["email"], language, True)] if params.get("email") else []
    users = []
    if event.audience in (Audience.PARTNER, Audience.BOTH):
        users += _partner_users(event)
    bare = []
    if event.audience in (Audience.STAFF, Audience.BOTH):
        users += _staff_users()
        extra, bare = _staff_addresses({u.email.lower() for u in users if u.email})
        users += extra
    unique = {u.pk: u for u in users}
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=unique)}
    default = Preference()
    result = [
        Recipient(
            user=user,
            email=user.email,
            language=prefs.get(user.pk, default).language or settings.LANGUAGE_CODE,
            wants_email=prefs.get(user.pk, default).wants_email(event.kind),
        )
        for user in unique.values()
    ]
    result += [Recipient(None, address, settings.LANGUAGE_CODE, True) for address in bare]
    return result


def kinds_heard_by(user) -> list[Kind]:
    """The kinds of event that can ever reach `user`: a partner's people hear of their deals,
    staff of registrations, resubmissions and conflicts too. The e-mail settings offer these."""
    audiences = {Audience.PARTNER, Audience.BOTH}
    if user.is_staff:
        audiences = {Audience.STAFF, Audience.BOTH}
        if membership_of(user) is not None:
            audiences.add(Audience.PARTNER)
    return [
        kind
        for kind in Kind
        if AUDIENCE.get(kind, Audience.PARTNER) in audiences and kind not in WEBHOOK_ONLY
    ]
