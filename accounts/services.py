"""Writes on a partner's team and its users' access: invitations, roles, deactivation, the
organisation's two-factor rule, sessions, a partner's suspension. Every function runs in its
own transaction; /team/ and Django admin call the same ones."""

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Invitation
from notifications.activity import changes_between, record_activity
from partners.access import (
    STAFF_ONLY_CORRECT,
    STAFF_ONLY_SUSPEND,
    membership_of,
    require_staff,
)
from partners.models import Membership, Partner, User, sandbox_name
from web.digests import sha256_hex

DUPLICATE_EMAIL = gettext_lazy("A user with this e-mail address already exists.")
STAFF_ONLY_AUTHENTICATORS = gettext_lazy(
    "Only VNG Cloud staff can remove a person's authenticator."
)

INVITATION_DAYS = 7


class TeamError(Exception):
    """A team change the rules refuse; the message says why, in the reader's language."""


_token_hash = sha256_hex  # the invitation's token has 256 random bits (web.digests)


def _lock_admins(partner: Partner) -> list[int]:
    """Take the partner's team lock, then return its active admins' membership ids.

    Every change that could leave the partner without an admin takes this lock FIRST, before
    any other row. The partner row is the lock: two admins demoting or deactivating each other
    at the same moment queue here, and the second one's query, a new statement after the
    wait, sees the first one's change (locking the admin rows themselves would not: a
    deactivation changes the user row, not the membership).
    """
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    return list(
        Membership.objects.filter(partner=partner, role=Membership.Role.ADMIN, user__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _refuse_last_admin(admin_ids: list[int], membership: Membership) -> None:
    if admin_ids == [membership.pk]:
        raise TeamError(_("Your organisation needs at least one active admin."))


@transaction.atomic
def invite_user(*, partner: Partner, email: str, role: str, by: User) -> tuple[Invitation, str]:
    """Invite `email` to the partner with `role`; returns the invitation and its secret token.

    Effects: refuses an address that already has an account in this or another organisation,
    or a staff account (the refusal never names the other organisation); revokes an open
    invitation of this partner for the same address; stores the new invitation (a hash of
    the token, expiring in INVITATION_DAYS); e-mails the link after commit.
    """
    email = User.objects.normalize_email(email).strip().lower()
    existing = User.objects.filter(email__iexact=email).select_related("membership").first()
    if existing is not None:
        membership = getattr(existing, "membership", None)
        if membership is not None and membership.partner_id == partner.pk:
            raise TeamError(_("This person is already in your team."))
        if membership is not None or existing.is_staff:
            raise TeamError(
                _("This e-mail address cannot be invited. Ask the person for another address.")
            )
    now = timezone.now()
    Invitation.objects.filter(
        partner=partner, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        partner=partner,
        email=email,
        role=Membership.Role(role),
        token_hash=_token_hash(token),
        invited_by=by,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    record_activity(
        action="team.invited", actor=by, obj=invitation, data={"email": email, "role": role}
    )
    language = translation.get_language()
    transaction.on_commit(lambda: _send_invitation(invitation.pk, token, language))
    return invitation, token


def _send_invitation(invitation_pk: int, token: str, language: str) -> None:
    invitation = Invitation.objects.select_related("partner", "invited_by").get(pk=invitation_pk)
    ctx = {
        "invitation": invitation,
        "link": settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[token]),
        "days": INVITATION_DAYS,
    }
    with translation.override(language):
        subject = render_to_string("accounts/email/invitation_subject.txt", ctx).strip()
        body = render_to_string("accounts/email/invitation_body.txt", ctx)
    send_mail(subject, body, None, [invitation.email])


def open_invitation(token: str) -> Invitation:
    """The invitation the token stands for, if it can still be used; TeamError otherwise."""
    invitation = (
        Invitation.objects.select_related("partner").filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise TeamError(_("This invitation link is not valid. Ask your admin for a new one."))
    if invitation.accepted_at is not None:
        raise TeamError(_("This invitation link has already been used. Sign in instead."))
    if invitation.expires_at <= timezone.now():
        raise TeamError(_("This invitation link has expired. Ask your admin for a new one."))
    return invitation


@transaction.atomic
def accept_invitation(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Use the invitation: the invited person's account joins the partner with the role.

    Effects: refuses a used, revoked or expired link and an address that meanwhile got an
    account elsewhere; creates the user (or activates an existing one without an
    organisation) with `password` (already validated by the caller) and a verified e-mail;
    creates the membership; marks the invitation accepted, so the link works once.
    """
    # Lock the row first: the same link sent from two tabs makes one account; the second
    # request then reads the link as used.
    Invitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    invitation = open_invitation(token)
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None and (Membership.objects.filter(user=user).exists() or user.is_staff):
        raise TeamError(_("This e-mail address already has an account. Sign in instead."))
    if user is None:
        user = User(email=invitation.email)
    user.first_name = first_name.strip() or user.first_name
    user.last_name = last_name.strip() or user.last_name
    user.is_active = True
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, partner=invitation.partner, role=invitation.role)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_activity(
        action="team.invitation_accepted",
        actor=user,
        obj=invitation,
        data={"email": invitation.email, "role": invitation.role},
    )
    return user


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by: User) -> Invitation:
    """Revoke an open invitation: its link stops working. Refuses a used or revoked one."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise TeamError(_("This invitation is no longer open."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_activity(
        action="team.invitation_revoked", actor=by, obj=invitation, data={"email": invitation.email}
    )
    return invitation


@transaction.atomic
def change_role(*, membership: Membership, role: str, by: User) -> Membership:
    """Make the member an admin or a member.

    Effects: refuses to demote the last active admin of the partner; saves the role; the
    activity log records the change and what it does to the person's API tokens: a token acts
    as the admin who created it and works only while they are one (checked on every API
    request, `api.authentication`), so a demotion stops their tokens from the next request and
    a promotion makes them work again. Changing to the role the member already has changes
    nothing.
    """
    role = Membership.Role(role)
    admin_ids = _lock_admins(membership.partner)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    if role != Membership.Role.ADMIN:
        _refuse_last_admin(admin_ids, membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_activity(
        action="team.role_changed",
        actor=by,
        obj=membership.user,
        partner=membership.partner,
        changes={"role": [before, role]},
        data={"api_tokens": "working again" if role == Membership.Role.ADMIN else "stopped"},
    )
    return membership


@transaction.atomic
def deactivate_user(*, membership: Membership, by: User) -> User:
    """Stop the member from signing in, and sign them out everywhere at once.

    Effects: refuses deactivating yourself and the last active admin; sets the user
    inactive (a session that survives anywhere no longer authenticates); deletes every
    session of the user. Their deals, notes and history stay. Deactivating an inactive user
    changes nothing.
    """
    admin_ids = _lock_admins(membership.partner)
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if not user.is_active:
        return user
    if user.pk == by.pk:
        raise TeamError(_("You cannot deactivate yourself."))
    membership.refresh_from_db(fields=["role"])
    if membership.role == Membership.Role.ADMIN:
        _refuse_last_admin(admin_ids, membership)
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = end_sessions(user=user)
    record_activity(
        action="team.deactivated",
        actor=by,
        obj=user,
        partner=membership.partner,
        changes={"is_active": [True, False]},
        data={"sessions_ended": ended},
    )
    return user


@transaction.atomic
def reactivate_user(*, membership: Membership, by: User) -> User:
    """Let a deactivated member sign in again (with their old password or a reset)."""
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_activity(
            action="team.reactivated",
            actor=by,
            obj=user,
            partner=membership.partner,
            changes={"is_active": [False, True]},
        )
    return user


@transaction.atomic
def set_two_factor_rule(*, partner: Partner, required: bool, by: User) -> Partner:
    """Require (or stop requiring) two-factor sign-in for everyone in the partner.

    Effects: saves the flag. From the next request, a member without 2FA is sent to set it
    up before any portal page (`accounts.middleware.TwoFactorRuleMiddleware`).
    """
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.require_2fa != required:
        record_activity(
            action="team.two_factor_rule",
            actor=by,
            obj=partner,
            changes={"require_2fa": [partner.require_2fa, required]},
        )
    partner.require_2fa = required
    partner.save(update_fields=["require_2fa"])
    return partner


@transaction.atomic
def add_member(*, partner: Partner, user: User, role: str, by: User) -> Membership:
    """Staff put an existing account into a partner with `role` (admin's Membership form).

    Effects: refuses a sandbox (nobody signs in to one), a staff account and an account
    already in an organisation (a person belongs to one partner); creates the membership;
    an activity entry. Partner admins add people by invitation instead (`invite_user`).
    """
    role = Membership.Role(role)
    if partner.sandbox_of_id:
        # A sandbox is reached by its partner's sandbox tokens; nobody signs in to it.
        raise TeamError(_("A sandbox has no people of its own: add them to its partner."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_staff:
        raise TeamError(_("A VNG Cloud staff account cannot join a partner."))
    if Membership.objects.filter(user=user).exists():
        raise TeamError(_("This person already belongs to an organisation."))
    membership = Membership.objects.create(user=user, partner=partner, role=role)
    record_activity(
        action="team.member_added", actor=by, obj=user, partner=partner, data={"role": role}
    )
    return membership


@transaction.atomic
def set_user_active(*, user: User, active: bool, by: User) -> User:
    """Let the account sign in or not (admin's User and Membership forms).

    A partner's member goes through `deactivate_user` / `reactivate_user`, with their rules
    (the last active admin kept, nobody deactivates themselves, every session ended). An
    account without a partner (staff) is deactivated the same way: not yourself, every
    session ended, an activity entry.
    """
    membership = membership_of(user)
    if membership is not None:
        if active:
            return reactivate_user(membership=membership, by=by)
        return deactivate_user(membership=membership, by=by)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    if not active and user.pk == by.pk:
        raise TeamError(_("You cannot deactivate yourself."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    ended = 0 if active else end_sessions(user=user)
    record_activity(
        action="team.reactivated" if active else "team.deactivated",
        actor=by,
        obj=user,
        changes={"is_active": [not active, active]},
        data={} if active else {"sessions_ended": ended},
    )
    return user


@transaction.atomic
def set_partner_status(*, partner: Partner, status: str, by: User, reason: str = "") -> Partner:
    """Suspend a partner or make it active again (staff only).

    Effects: `by` must be staff (PermissionDenied); a suspension needs a reason (refused,
    keyed "reason", code "reason_required": the partner's admins read it in their log). The
    partner row is locked and the status saved; the same status again changes nothing.
    Suspending ends every session of the partner's people at once (their next request is
    signed out; signing in again shows that the organisation is suspended), and its API
    tokens are refused from the next request (`api.authentication` checks the status on every
    request); nothing else of the partner's changes: its deals, discounts, tokens and webhooks
    stay for when it is reactivated. An activity entry with the reason, for the partner's log
    and staff's.
    """
    require_staff(by, STAFF_ONLY_SUSPEND)
    status = Partner.Status(status)
    if status == Partner.Status.SUSPENDED and not reason.strip():
        message = _("Give the reason for the suspension: the partner's admins read it.")
        raise ValidationError({"reason": ValidationError(message, code="reason_required")})
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    before = partner.status
    if before == status:
        return partner
    partner.status = status
    partner.save(update_fields=["status"])
    data = {"reason": reason.strip()} if reason.strip() else {}
    if status == Partner.Status.SUSPENDED:
        users = User.objects.filter(membership__partner=partner)
        data["sessions_ended"] = sum(end_sessions(user=user) for user in users)
    record_activity(
        action="partner.suspended" if status == Partner.Status.SUSPENDED else "partner.reactivated",
        actor=by,
        obj=partner,
        changes={"status": [before, status]},
        data=data,
    )
    return partner


def end_sessions(*, user: User, keep_session_key: str | None = None) -> int:
    """Sign the user out of every session but `keep_session_key`; returns how many ended.

    Every sign-in goes through allauth, which records the session (allauth.usersessions),
    so the user's sessions are found without scanning the session table.
    """
    ended = 0
    for user_session in UserSession.objects.filter(user=user):
        if user_session.session_key != keep_session_key:
            user_session.end()
            ended += 1
    return ended


@transaction.atomic
def remove_authenticator(authenticator, *, by: User) -> None:
    """VNG staff take away a person's authenticator (a lost phone): admin's Delete on it.

    Effects: the authenticator is deleted, and the person's recovery codes with it when no
    other app is left (as allauth's own removal); the person's sessions end, so whoever
    signs in next does it with the password alone and, where two-factor sign-in is required
    of the person (a partner's rule, or staff's), must set up a new app before anything
    else; an activity entry "account.authenticator_removed" (the type) for the person's
    partner. Only staff (PermissionDenied otherwise).
    """
    require_staff(by, STAFF_ONLY_AUTHENTICATORS)
    user = authenticator.user
    kind = authenticator.type
    authenticator.delete()
    # As allauth's own removal: recovery codes left with no app to recover are deleted too,
    # or they would still pass the second step (and a new app would get no new ones).
    others = Authenticator.objects.filter(user=user)
    if not others.exclude(type=Authenticator.Type.RECOVERY_CODES).exists():
        others.delete()
    ended = end_sessions(user=user)
    membership = membership_of(user)
    record_activity(
        action="account.authenticator_removed",
        actor=by,
        obj=user,
        partner=membership.partner if membership else None,
        data={"type": kind, "sessions_ended": ended},
    )


PARTNER_CORRECTABLE = ("name", "tax_code")


@transaction.atomic
def correct_partner(*, partner: Partner, by: User, changes: dict) -> Partner:
    """Staff correct a partner's name or tax code (admin's Partner page).

    Effects: `by` must be staff (PermissionDenied); a sandbox is refused (ValidationError: it
    follows its partner); the row is locked and only the fields in `changes` that really
    change are written (a status change made meanwhile is kept), a tax code another partner
    took meanwhile refused on the field; the partner's sandbox follows (`sandbox_name`, the
    same tax code); an activity entry "partner.corrected" with each old and new value, for
    the partner's log and staff's.
    """
    require_staff(by, STAFF_ONLY_CORRECT)
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    before = {name: getattr(locked, name) for name in PARTNER_CORRECTABLE}
    fields = [n for n in PARTNER_CORRECTABLE if n in changes and changes[n] != before[n]]
    if not fields:
        return locked
    if locked.sandbox_of_id:
        raise ValidationError(
            _("A sandbox's name and tax code follow its partner's: correct the partner."),
            code="sandbox",
        )
    for name in fields:
        setattr(locked, name, changes[name])
    try:
        with transaction.atomic():
            locked.save(update_fields=fields)
    except IntegrityError:  # another partner took the tax code since the form checked it
        raise ValidationError(
            {
                "tax_code": ValidationError(
                    _("A partner with this tax code already exists."), code="unique"
                )
            }
        ) from None
    sandbox = Partner.objects.filter(sandbox_of=locked).first()
    if sandbox is not None:
        sandbox.name, sandbox.tax_code = sandbox_name(locked.name), locked.tax_code
        sandbox.save(update_fields=["name", "tax_code"])
    record_activity(
        action="partner.corrected",
        actor=by,
        obj=locked,
        changes=changes_between(
            {n: before[n] for n in fields}, {n: getattr(locked, n) for n in fields}
        ),
    )
    return locked


@transaction.atomic
def change_email(*, user: User, email: str, by: User) -> User:
    """Staff change the e-mail address a person signs in with and receives mail at (admin's
    User page).

    Effects: `by` must be staff (PermissionDenied); the row is locked; the address is kept in
    lower case, and one another account has is refused (ValidationError keyed "email");
    allauth's addresses of the person are replaced by the new one, verified (staff vouch
    for it) and primary, so a password reset goes to it, not to the old one; the person's
    sessions end; an activity entry "account.email_changed" with the old and new address.
    """
    require_staff(by, STAFF_ONLY_CORRECT)
    locked = User.objects.select_for_update().get(pk=user.pk)
    email = (email or "").strip().lower()
    before = locked.email
    if email == before:
        return locked
    if User.objects.filter(email__iexact=email).exclude(pk=locked.pk).exists():
        raise ValidationError({"email": ValidationError(DUPLICATE_EMAIL, code="unique")})
    locked.email = email
    locked.save(update_fields=["email"])
    EmailAddress.objects.filter(user=locked).delete()
    EmailAddress.objects.create(user=locked, email=email, verified=True, primary=True)
    ended = end_sessions(user=locked)
    membership = membership_of(locked)
    record_activity(
        action="account.email_changed",
        actor=by,
        obj=locked,
        partner=membership.partner if membership else None,
        changes={"email": [before, email]},
        data={"sessions_ended": ended},
    )
    return locked
