"""Staff change people and organisations in admin through the same services as /team/.

For each write path: a refusal leaves the database as it was and shows the reason on the
form, with what the staff member typed still in it; an allowed save has the effects of the
service called directly (sessions ended, tokens refused, activity entries)."""

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from notifications.models import Activity
from partners.models import Membership, Partner, User
from tests.accounts.conftest import another_browser
from tests.admin_forms import form_data, form_values
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def signed_in(sign_in, email):
    browser = another_browser()
    assert sign_in(browser, email).status_code == 302
    assert browser.get("/deals/").status_code == 200
    return browser


def entries():
    return list(Activity.objects.order_by("pk").values_list("action", "actor__email", "changes"))


# Memberships


def membership_url(user):
    return reverse("admin:partners_membership_change", args=[user.membership.pk])


def test_demoting_the_only_admin_in_admin_is_refused_on_the_form(staff_client, alice, sam):
    url = membership_url(alice)
    data = form_data(staff_client, url, role="member")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your organisation needs at least one active admin." in html
    assert form_values(html)["role"] == "member"  # what staff chose, still chosen
    assert Membership.objects.get(user=alice).role == "admin"
    assert (Activity.objects.count(), LogEntry.objects.count()) == (0, 0)


def test_a_role_change_in_admin_is_the_team_service(staff_client, staff, alice, sam):
    url = membership_url(sam)

    response = staff_client.post(url, form_data(staff_client, url, role="admin"))

    assert response.status_code == 302
    assert Membership.objects.get(user=sam).role == "admin"
    entry = Activity.objects.get()
    assert (entry.action, entry.actor, entry.via, entry.partner, entry.changes) == (
        "team.role_changed",
        staff,
        "admin",
        alice.membership.partner,
        {"role": ["member", "admin"]},
    )


def test_deactivating_the_only_admin_by_membership_is_refused(staff_client, alice, sam):
    url = membership_url(alice)
    data = form_data(staff_client, url, active=None)

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "Your organisation needs at least one active admin." in response.content.decode()
    assert "active" not in form_values(response.content.decode())  # still unticked
    assert User.objects.get(pk=alice.pk).is_active


def test_deactivating_by_membership_ends_the_sessions(staff_client, staff, alice, sam, sign_in):
    sams_browser = signed_in(sign_in, "sam@alpha.test")
    url = membership_url(sam)

    response = staff_client.post(url, form_data(staff_client, url, active=None))

    assert response.status_code == 302
    assert not User.objects.get(pk=sam.pk).is_active
    assert UserSession.objects.filter(user=sam).count() == 0
    assert sams_browser.get("/deals/").status_code == 302
    assert entries() == [("team.deactivated", staff.email, {"is_active": [True, False]})]


def test_adding_a_staff_account_to_a_partner_is_refused(staff_client, staff, alpha):
    other_staff = User.objects.create_user("ops@vngcloud.test", "pw", is_staff=True)
    url = reverse("admin:partners_membership_add")
    data = form_data(
        staff_client, url, user=str(other_staff.pk), partner=str(alpha.pk), role="admin"
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "A VNG Cloud staff account cannot join a partner." in html
    assert (form_values(html)["user"], form_values(html)["role"]) == (str(other_staff.pk), "admin")
    assert not Membership.objects.filter(user=other_staff).exists()
    assert Activity.objects.count() == 0


def test_adding_a_member_in_admin_is_the_service(staff_client, staff, alpha, nobody):
    url = reverse("admin:partners_membership_add")
    data = form_data(staff_client, url, user=str(nobody.pk), partner=str(alpha.pk), role="admin")

    response = staff_client.post(url, data)

    membership = Membership.objects.get(user=nobody)
    assert response.status_code == 302
    assert (membership.partner, membership.role) == (alpha, "admin")
    assert entries() == [("team.member_added", staff.email, {})]
    assert LogEntry.objects.get().object_id == str(membership.pk)


def test_nobody_is_added_to_a_sandbox_in_admin(staff_client, alpha, alice, nobody):
    from deals.services.sandbox import ensure_sandbox

    sandbox = ensure_sandbox(alpha, by=alice)
    url = reverse("admin:partners_membership_add")
    data = form_data(staff_client, url, user=str(nobody.pk), partner=str(sandbox.pk), role="admin")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "A sandbox has no people of its own" in response.content.decode()
    assert not Membership.objects.filter(user=nobody).exists()


def test_memberships_are_never_deleted_in_admin(staff_client, sam):
    url = reverse("admin:partners_membership_delete", args=[sam.membership.pk])

    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(user=sam).exists()


# Users


def user_url(user):
    return reverse("admin:partners_user_change", args=[user.pk])


def test_deactivating_the_only_admin_as_a_user_is_refused_with_the_input_kept(staff_client, alice):
    url = user_url(alice)
    name = alice.first_name
    data = form_data(staff_client, url, is_active=None, first_name="Alicia")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your organisation needs at least one active admin." in html
    kept = form_values(html)
    assert (kept["first_name"], "is_active" in kept) == ("Alicia", False)
    alice.refresh_from_db()
    assert (alice.is_active, alice.first_name) == (True, name)
    assert (Activity.objects.count(), LogEntry.objects.count()) == (0, 0)


def test_deactivating_a_user_in_admin_ends_their_sessions(staff_client, staff, alice, sam, sign_in):
    sams_browser = signed_in(sign_in, "sam@alpha.test")
    url = user_url(sam)

    response = staff_client.post(url, form_data(staff_client, url, is_active=None))

    assert response.status_code == 302
    assert not User.objects.get(pk=sam.pk).is_active
    assert UserSession.objects.filter(user=sam).count() == 0
    assert sams_browser.get("/deals/").status_code == 302
    entry = Activity.objects.get()
    assert (entry.action, entry.actor, entry.partner, entry.data) == (
        "team.deactivated",
        staff,
        sam.membership.partner,
        {"sessions_ended": 1},
    )


def test_deactivating_a_staff_account_ends_its_sessions(staff_client, staff, sign_in):
    ops = User.objects.create_user("ops@vngcloud.test", "test-password", is_staff=True)
    browser = another_browser()
    sign_in(browser, "ops@vngcloud.test")
    url = user_url(ops)

    response = staff_client.post(url, form_data(staff_client, url, is_active=None))

    assert response.status_code == 302
    assert not User.objects.get(pk=ops.pk).is_active
    assert UserSession.objects.filter(user=ops).count() == 0
    assert entries() == [("team.deactivated", staff.email, {"is_active": [True, False]})]


def test_staff_cannot_deactivate_themselves_in_admin(staff_client, staff):
    url = user_url(staff)

    response = staff_client.post(url, form_data(staff_client, url, is_active=None))

    assert response.status_code == 200
    assert "You cannot deactivate yourself." in response.content.decode()
    assert User.objects.get(pk=staff.pk).is_active


def test_a_partners_person_cannot_be_made_staff(staff_client, sam):
    url = user_url(sam)

    response = staff_client.post(url, form_data(staff_client, url, is_staff="on"))

    assert response.status_code == 200
    assert "cannot be VNG Cloud staff" in response.content.decode()
    assert not User.objects.get(pk=sam.pk).is_staff


def test_partner_users_are_never_deleted_in_admin(staff_client, sam):
    response = staff_client.post(
        reverse("admin:partners_user_delete", args=[sam.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=sam.pk).exists()


def test_staff_accounts_are_never_deleted_in_admin_not_even_ones_own(
    staff_client, staff, alpha, alice, vserver
):
    """Deleting a staff account set "who did it" to nothing on the deals it reviewed, their
    history and the activity log: a way to erase one's own trail. Deactivate instead."""
    from deals.services import approve_deal
    from notifications.models import Activity
    from tests.factories import DealFactory, UserFactory

    reviewer = UserFactory(email="reviewer@vngcloud.test", is_staff=True)
    deal = approve_deal(DealFactory(partner=alpha, created_by=alice), by=reviewer)

    pages = [
        staff_client.post(reverse("admin:partners_user_delete", args=[pk]), {"post": "yes"})
        for pk in (reviewer.pk, staff.pk)
    ]

    assert [p.status_code for p in pages] == [403, 403]
    deal.refresh_from_db()
    assert deal.reviewed_by == reviewer
    assert Activity.objects.filter(actor=reviewer).exists()


# Partners


def partner_url(partner):
    return reverse("admin:partners_partner_change", args=[partner.pk])


def test_suspending_a_partner_ends_its_sessions_and_stops_its_tokens(
    staff_client, staff, alpha, alice, sam, bob, sign_in
):
    _token, secret = make_token(alpha, alice)
    sams_browser = signed_in(sign_in, "sam@alpha.test")
    bobs_browser = signed_in(sign_in, "bob@beta.test")
    assert ApiClient(secret).get("/api/v1/deals/").status_code == 200
    url = partner_url(alpha)
    data = form_data(staff_client, url, status="suspended", status_reason="Contract ended")

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert Partner.objects.get(pk=alpha.pk).status == "suspended"
    assert UserSession.objects.filter(user__membership__partner=alpha).count() == 0
    assert sams_browser.get("/deals/").status_code == 302
    assert bobs_browser.get("/deals/").status_code == 200  # another partner: untouched
    assert ApiClient(secret).get("/api/v1/deals/").status_code == 403
    entry = Activity.objects.exclude(action="api.token_created").get()
    assert (entry.action, entry.actor, entry.partner, entry.changes, entry.data) == (
        "partner.suspended",
        staff,
        alpha,
        {"status": ["active", "suspended"]},
        {"reason": "Contract ended", "sessions_ended": 1},
    )


def test_a_suspension_without_a_reason_is_refused_on_the_form(staff_client, staff, alpha):
    url = partner_url(alpha)
    data = form_data(staff_client, url, name="Alpha Typed", status="suspended", status_reason=" ")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Give the reason for the suspension: the partner&#x27;s admins read it." in html
    kept = form_values(html)
    assert (kept["name"], kept["status"]) == ("Alpha Typed", "suspended")
    alpha.refresh_from_db()
    assert (alpha.name, alpha.status) == ("Alpha Cloud Solutions", "active")
    assert Activity.objects.count() == 0
    with pytest.raises(ValidationError) as refused:
        services.set_partner_status(partner=alpha, status="suspended", by=staff, reason=" ")
    assert refused.value.error_dict["reason"][0].code == "reason_required"


def test_a_reason_beside_an_unchanged_status_is_refused_not_dropped(staff_client, alpha):
    url = partner_url(alpha)

    response = staff_client.post(url, form_data(staff_client, url, status_reason="Audit done"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "A reason is recorded with a change of status; the status is unchanged." in html
    assert form_values(html)["status_reason"] == "Audit done"
    assert Activity.objects.count() == 0


def test_admin_suspension_matches_the_service(staff, alpha, alice, sign_in):
    signed_in(sign_in, "alice@alpha.test")

    services.set_partner_status(partner=alpha, status="suspended", by=staff, reason="Audit")

    assert UserSession.objects.filter(user=alice).count() == 0
    assert entries() == [("partner.suspended", staff.email, {"status": ["active", "suspended"]})]
    services.set_partner_status(partner=alpha, status="active", by=staff)
    assert Partner.objects.get(pk=alpha.pk).status == "active"
    assert [a for a, _e, _c in entries()] == ["partner.suspended", "partner.reactivated"]


def test_a_refused_partner_save_keeps_the_input_and_changes_nothing(staff_client, alpha):
    url = partner_url(alpha)
    data = form_data(
        staff_client, url, name="Alpha Renamed", tax_code="12", status="suspended", require_2fa="on"
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    kept = form_values(response.content.decode())
    assert (kept["name"], kept["tax_code"], kept["status"], kept["require_2fa"]) == (
        "Alpha Renamed",
        "12",
        "suspended",
        "on",
    )
    alpha.refresh_from_db()
    assert (alpha.name, alpha.status, alpha.require_2fa) == (
        "Alpha Cloud Solutions",
        "active",
        False,
    )
    assert Activity.objects.count() == 0


def test_the_two_factor_rule_in_admin_is_the_team_service(staff_client, staff, alpha):
    url = partner_url(alpha)

    response = staff_client.post(url, form_data(staff_client, url, require_2fa="on"))

    assert response.status_code == 302
    assert Partner.objects.get(pk=alpha.pk).require_2fa
    assert entries() == [("team.two_factor_rule", staff.email, {"require_2fa": [False, True]})]


def test_partners_are_never_deleted_in_admin(staff_client, alpha):
    response = staff_client.post(
        reverse("admin:partners_partner_delete", args=[alpha.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Partner.objects.filter(pk=alpha.pk).exists()


def test_a_suspended_partners_people_cannot_use_the_portal(client, alpha, alice, staff):
    services.set_partner_status(partner=alpha, status="suspended", by=staff, reason="Audit")
    client.force_login(alice)

    response = client.get("/deals/")

    assert response.status_code == 403
    assert "is suspended" in response.content.decode()


# Authenticators


def test_staff_remove_a_lost_authenticator_and_the_person_sets_up_a_new_one(
    staff_client, staff, alpha, sam, sign_in
):
    """allauth's admin showed the secret as an editable field and deleted with no trace. Here
    the removal signs the person out everywhere and is logged; with the partner's 2FA rule on
    they must set up a new app before anything else."""
    from allauth.mfa.models import Authenticator

    sams_browser = signed_in(sign_in, "sam@alpha.test")
    Partner.objects.filter(pk=alpha.pk).update(require_2fa=True)
    totp = Authenticator.objects.create(user=sam, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    # allauth makes recovery codes with the app: left behind, they would pass the second step.
    Authenticator.objects.create(user=sam, type="recovery_codes", data={"seed": "00"})
    url = reverse("admin:mfa_authenticator_change", args=[totp.pk])

    page = staff_client.get(url)
    edited = staff_client.post(url, {"user": sam.pk, "type": "totp", "data": "{}"})
    removed = staff_client.post(
        reverse("admin:mfa_authenticator_delete", args=[totp.pk]), {"post": "yes"}
    )

    assert page.status_code == 200 and b"JBSWY3DPEHPK3PXP" not in page.content
    assert edited.status_code == 403
    assert removed.status_code == 302
    assert not Authenticator.objects.filter(user=sam).exists()
    assert UserSession.objects.filter(user=sam).count() == 0
    assert sams_browser.get("/deals/").status_code == 302
    entry = Activity.objects.get(action="account.authenticator_removed")
    assert (entry.actor, entry.partner, entry.data) == (
        staff,
        alpha,
        {"type": "totp", "sessions_ended": 1},
    )


def test_a_persons_email_changed_in_admin_is_the_one_they_sign_in_and_reset_with(
    staff_client, staff, alpha, sam, sign_in
):
    """The new address replaces allauth's (a password reset went to the old one), the
    person's sessions end, and the change is in the activity log with both addresses."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=sam, email=sam.email, verified=True, primary=True)
    sams_browser = signed_in(sign_in, "sam@alpha.test")
    url = user_url(sam)

    response = staff_client.post(url, form_data(staff_client, url, email="Sam.New@Alpha.test"))

    assert response.status_code == 302
    assert User.objects.get(pk=sam.pk).email == "sam.new@alpha.test"
    assert list(
        EmailAddress.objects.filter(user=sam).values_list("email", "verified", "primary")
    ) == [("sam.new@alpha.test", True, True)]
    assert sams_browser.get("/deals/").status_code == 302
    entry = Activity.objects.get(action="account.email_changed")
    assert (entry.actor, entry.partner, entry.changes) == (
        staff,
        alpha,
        {"email": ["sam@alpha.test", "sam.new@alpha.test"]},
    )


@pytest.mark.parametrize("typed", ["alice@alpha.test", "Alice@Alpha.test"])
def test_an_email_taken_by_another_person_is_one_message_on_the_field(
    staff_client, sam, alice, typed
):
    """Taken exactly, it failed the field's unique check and the any-case constraint: two
    messages, one of them Django's generic words."""
    url = user_url(sam)

    response = staff_client.post(url, form_data(staff_client, url, email=typed))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"email": ["A user with this e-mail address already exists."]} or errors == {
        "__all__": ["A user with this e-mail address already exists."]
    }
    assert response.content.decode().count("A user with this e-mail address already exists.") == 1
    assert User.objects.get(pk=sam.pk).email == "sam@alpha.test"


def test_adding_a_person_who_already_belongs_to_a_partner_says_so(staff_client, sam, beta):
    url = reverse("admin:partners_membership_add")

    response = staff_client.post(url, form_data(staff_client, url, user=sam.pk, partner=beta.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [
        "This person already belongs to a partner; a person belongs to one partner only. "
        "Change that membership instead."
    ]
    assert Membership.objects.get(user=sam).partner != beta
