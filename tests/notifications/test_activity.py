"""The activity log: the services write who did what, when, to which object, before and after,
in the change's own transaction; a refused change writes nothing."""

import re

import pytest
from django.db import transaction

from accounts import services as team
from api.services import create_api_token
from notifications.activity import activity_context, changes_between, record_activity
from notifications.models import Activity

pytestmark = pytest.mark.django_db


def test_a_role_change_on_the_team_page_is_logged_with_before_and_after(alice_client, alice, sam):
    alice_client.post(f"/team/{sam.pk}/role/", {"role": "admin"})

    entry = Activity.objects.get()
    assert (entry.action, entry.actor, entry.partner, entry.via) == (
        "team.role_changed",
        alice,
        alice.membership.partner,
        "portal",
    )
    assert (entry.object_repr, entry.changes) == (str(sam), {"role": ["member", "admin"]})


def test_a_refused_change_writes_nothing(alice_client, alice):
    alice_client.post(f"/team/{alice.pk}/role/", {"role": "member"})

    assert alice.membership.role == "admin"
    assert Activity.objects.count() == 0


def test_deactivation_and_the_two_factor_rule_are_logged(alice, sam, alpha):
    team.deactivate_user(membership=sam.membership, by=alice)
    team.set_two_factor_rule(partner=alpha, required=True, by=alice)
    team.set_two_factor_rule(partner=alpha, required=True, by=alice)  # no change, no entry

    assert list(Activity.objects.order_by("pk").values_list("action", "changes")) == [
        ("team.deactivated", {"is_active": [True, False]}),
        ("team.two_factor_rule", {"require_2fa": [False, True]}),
    ]


def test_an_entry_is_rolled_back_with_its_change(alice, alpha):
    with pytest.raises(RuntimeError), transaction.atomic():
        create_api_token(partner=alpha, by=alice, name="CRM", access="read_write")
        raise RuntimeError("the change failed after the service")

    assert Activity.objects.count() == 0


def test_the_context_names_where_a_change_came_from(alice, alpha):
    with activity_context(via="api", request_id="req-123"):
        token, _secret = create_api_token(partner=alpha, by=alice, name="CRM", access="read")

    entry = Activity.objects.get()
    assert (entry.via, entry.request_id, entry.object_id) == ("api", "req-123", str(token.pk))


def test_changes_between_keeps_only_what_changed_as_plain_values():
    from datetime import date
    from decimal import Decimal

    before = {"rate": Decimal("10.00"), "end": date(2026, 1, 31), "name": "A"}
    after = {"rate": Decimal("12.50"), "end": date(2026, 1, 31), "name": "A"}

    assert changes_between(before, after) == {"rate": ["10", "12.50"]}


def test_the_system_writes_without_an_actor(alpha):
    entry = record_activity(action="partner.checked", obj=alpha)

    assert (entry.actor, entry.partner, entry.object_repr) == (None, alpha, str(alpha))


def test_staff_read_the_log_in_admin(client, staff, alice, sam):
    team.change_role(membership=sam.membership, role="admin", by=alice)
    client.force_login(staff)

    response = client.get("/admin/notifications/activity/")

    assert response.status_code == 200
    assert "Changed a role" in response.content.decode()


def test_staff_filter_the_log_by_partner_person_and_kind(client, staff, alice, sam, bob):
    team.change_role(membership=sam.membership, role="admin", by=alice)
    team.change_role(membership=bob.membership, role="admin", by=bob)  # no change, no entry
    create_api_token(partner=bob.membership.partner, by=bob, name="ERP", access="read")
    client.force_login(staff)
    url = "/admin/notifications/activity/"

    def shown(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return sorted(entry.action for entry in response.context["cl"].result_list)

    assert shown() == ["api.token_created", "team.role_changed"]
    assert shown(partner__id__exact=alice.membership.partner_id) == ["team.role_changed"]
    assert shown(actor__id__exact=bob.pk) == ["api.token_created"]
    assert shown(action="api.token_created") == ["api.token_created"]
    assert shown(via="admin") == []
    assert shown(action="") == ["api.token_created", "team.role_changed"]  # "All" sent


def test_the_kind_filter_is_one_drop_down_keeping_the_other_filters(client, staff, alice, sam):
    """60-odd kinds as links made the filter panel 2,400 px long: one <select> in a GET form,
    the partner filter and the search kept in it."""
    team.change_role(membership=sam.membership, role="admin", by=alice)
    client.force_login(staff)
    partner = alice.membership.partner_id

    html = client.get(
        "/admin/notifications/activity/",
        {"partner__id__exact": partner, "q": "sam", "action": "team.role_changed"},
    ).content.decode()

    form = html[html.index('<form method="get" class="filter-select">') :]
    form = form[: form.index("</form>")]
    assert '<select name="action"' in form
    assert '<option value="team.role_changed" selected>Changed a role</option>' in form
    assert f'<input type="hidden" name="partner__id__exact" value="{partner}">' in form
    assert '<input type="hidden" name="q" value="sam">' in form
    assert 'name="action" value=' not in form  # not kept twice
    assert "action=api.token_created" not in html  # the other kinds are no list of links


def test_the_partner_filter_asks_by_autocomplete_not_a_list(client, staff, alpha, beta):
    client.force_login(staff)

    html = client.get(
        "/admin/notifications/activity/", {"partner__id__exact": alpha.pk}
    ).content.decode()

    assert 'name="partner__id__exact"' in html
    assert "admin-autocomplete" in html
    assert alpha.name in html  # the chosen partner is shown
    assert beta.name not in html  # no list of every partner


def test_the_log_list_never_counts_the_whole_table(client, staff, alice, sam):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team.change_role(membership=sam.membership, role="admin", by=alice)
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/notifications/activity/")

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def test_an_objects_admin_page_links_to_its_own_history(client, staff, alice, sam, bob):
    team.change_role(membership=sam.membership, role="admin", by=alice)
    create_api_token(partner=bob.membership.partner, by=bob, name="ERP", access="read")
    client.force_login(staff)

    page = client.get(f"/admin/partners/user/{sam.pk}/change/").content.decode()
    link = re.search(r'href="([^"]+)" data-activity-log', page).group(1).replace("&amp;", "&")
    listed = client.get(link).context["cl"].result_list

    assert [(entry.action, entry.object_id) for entry in listed] == [
        ("team.role_changed", str(sam.pk))
    ]


def test_a_partners_admin_page_links_to_everything_about_the_partner(client, staff, alpha):
    client.force_login(staff)

    page = client.get(f"/admin/partners/partner/{alpha.pk}/change/").content.decode()

    assert f"/admin/notifications/activity/?partner__id__exact={alpha.pk}" in page


def test_entries_read_as_words_whatever_their_details(alpha, alice):
    from notifications.activity import describe_changes, describe_data

    entry = record_activity(
        action="deal.registered",
        actor=alice,
        obj=alpha,
        changes={"status": ["active", "suspended"], "role": ["member", "admin"]},
        data={"rates": {"vServer": "12.5"}, "files": ["a.pdf", "b.pdf"], "role": "admin"},
    )

    assert [(row.label, row.before, row.after) for row in describe_changes(entry)] == [
        ("status", "Active", "Suspended"),
        ("Role", "Member", "Admin"),
    ]
    assert describe_data(entry) == [
        ("Rates (%)", "vServer 12.5"),
        ("Files", "a.pdf, b.pdf"),
        ("Role", "Admin"),
    ]


def test_an_entrys_admin_page_reads_as_words_not_codes(client, staff, alpha, alice, alpha_deal):
    """The page's title names the action as the list does; the details are labelled, not
    the stored JSON; amounts are grouped; the queue's "taken by" is named."""
    from decimal import Decimal

    from deals.models import Deal
    from deals.services import correct_deal, take_for_review

    Deal.objects.filter(pk=alpha_deal.pk).update(status=Deal.Status.PENDING)
    alpha_deal.refresh_from_db()
    correct_deal(alpha_deal, by=staff, changes={"estimated_value": Decimal("525000000")})
    take_for_review(alpha_deal, by=staff)
    noted = record_activity(
        action="deal.sent_back", actor=staff, obj=alpha_deal, data={"comment": "Bổ sung BOM"}
    )
    client.force_login(staff)

    corrected = Activity.objects.get(action="deal.corrected")
    taken = Activity.objects.get(action="review.taken")
    pages = {
        entry: client.get(f"/admin/notifications/activity/{entry.pk}/change/").content.decode()
        for entry in (corrected, taken, noted)
    }

    assert "100,000,000 → 525,000,000" in pages[corrected]
    assert "Taken by: — →" in pages[taken] and "taken_by" not in pages[taken]
    assert "Comment: Bổ sung BOM" in pages[noted]
    assert "{&quot;comment&quot;" not in pages[noted] and '{"comment"' not in pages[noted]
    assert "deal.sent_back" not in pages[noted]


def test_the_log_names_where_a_change_came_from_and_shows_dates_as_the_portal(client, staff, alpha):
    """The "via" column read "admin" and "command"; a date in an entry's details read
    2028-12-08 (a contract's start)."""
    from notifications.activity import activity_context

    with activity_context(via="admin"):
        entry = record_activity(
            action="contract.recorded", actor=staff, obj=alpha, data={"start_date": "2028-12-08"}
        )
    client.force_login(staff)
    client.cookies["django_language"] = "en"

    listed = client.get("/admin/notifications/activity/").content.decode()
    page = client.get(f"/admin/notifications/activity/{entry.pk}/change/").content.decode()

    assert "VNG Cloud admin" in listed and ">admin<" not in listed
    assert "VNG Cloud admin" in page
    assert "12/08/2028" in page and "2028-12-08" not in page
