"""Staff's notification pages in admin: the log is read, never rewritten or deleted there; a
person's e-mail choices are theirs (the settings page)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from deals.services import approve_deal
from notifications.models import Delivery, Event, Preference
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def event(alpha, alice, staff, vserver):
    approve_deal(DealFactory(partner=alpha, created_by=alice), by=staff)
    return Event.objects.get()


def test_events_and_deliveries_are_never_deleted_in_admin(staff_client, event):
    from notifications.services import fan_out

    fan_out(event_id=event.pk)
    deliveries = Delivery.objects.filter(event=event).count()
    delivery = Delivery.objects.filter(event=event).first()

    pages = [
        staff_client.get(f"/admin/notifications/event/{event.pk}/delete/"),
        staff_client.post(f"/admin/notifications/event/{event.pk}/delete/", {"post": "yes"}),
        staff_client.post(f"/admin/notifications/delivery/{delivery.pk}/delete/", {"post": "yes"}),
    ]
    bulk = staff_client.post(
        "/admin/notifications/event/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [event.pk], "post": "yes"},
    )

    assert deliveries > 0
    assert [p.status_code for p in pages] == [403, 403, 403]
    assert bulk.status_code in (200, 302)
    assert Event.objects.filter(pk=event.pk).exists()
    assert Delivery.objects.filter(event=event).count() == deliveries


def test_a_persons_email_choices_are_read_not_written_in_admin(staff_client, alice):
    Preference.objects.create(user=alice, language="en", email_kinds={"deal_won": False})
    preference = Preference.objects.get(user=alice)

    page = staff_client.get(f"/admin/notifications/preference/{preference.pk}/change/")
    changed = staff_client.post(
        f"/admin/notifications/preference/{preference.pk}/change/",
        {"user": alice.pk, "language": "vi", "email_kinds": "[]"},
    )
    added = staff_client.get("/admin/notifications/preference/add/")

    assert page.status_code == 200 and b"deal_won" in page.content  # staff can read them
    assert changed.status_code == 403 and added.status_code == 403
    preference.refresh_from_db()
    assert (preference.language, preference.email_kinds) == ("en", {"deal_won": False})


def test_sending_failed_emails_again_needs_the_change_permission(client, event):
    from django.contrib.auth.models import Permission

    from notifications.services import fan_out
    from tests.factories import UserFactory

    fan_out(event_id=event.pk)
    Delivery.objects.filter(channel="email").update(status="failed", attempts=5)
    looker = UserFactory(email="looker@vngcloud.test", is_staff=True)
    looker.user_permissions.set(Permission.objects.filter(codename="view_delivery"))
    client.force_login(looker)

    client.post(
        "/admin/notifications/delivery/",
        {
            "action": "retry_selected",
            ACTION_CHECKBOX_NAME: list(Delivery.objects.values_list("pk", flat=True)),
        },
    )

    failed = Delivery.objects.filter(channel="email")
    assert failed.exists() and not failed.exclude(status="failed").exists()


def test_staff_with_the_change_permission_send_failed_emails_again(client, event):
    from django.contrib.auth.models import Permission

    from notifications.services import fan_out
    from tests.factories import UserFactory

    fan_out(event_id=event.pk)
    Delivery.objects.filter(channel="email").update(status="failed", attempts=5)
    helper = UserFactory(email="helper@vngcloud.test", is_staff=True)
    helper.user_permissions.set(
        Permission.objects.filter(codename__in=["view_delivery", "change_delivery"])
    )
    client.force_login(helper)

    client.post(
        "/admin/notifications/delivery/",
        {
            "action": "retry_selected",
            ACTION_CHECKBOX_NAME: list(Delivery.objects.values_list("pk", flat=True)),
        },
    )

    emails = Delivery.objects.filter(channel="email")
    assert emails.exists() and not emails.filter(status="failed").exists()
    from notifications.models import Activity

    entry = Activity.objects.get(action="notifications.emails_retried")
    assert (entry.actor, entry.partner, entry.data) == (helper, None, {"count": emails.count()})
