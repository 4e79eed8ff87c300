"""A hand-edited admin URL never answers 500: a sort by a column the list does not have, or a
filter by an id that is no number, is what Django's admin makes of any bad parameter (the
list as if unsorted, or its "?e=1" page), found by a hostile walk of the change lists (an id
past the database's integer was an OverflowError on SQLite)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


LISTS = (
    "/admin/deals/deal/",
    "/admin/discounts/discount/",
    "/admin/discounts/customerdiscount/",
    "/admin/statements/statement/",
)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("order", ["99", "-99", "1.99", "99999999999999999999999", "²", "x.-3"])
def test_a_sort_by_a_column_the_list_lacks_keeps_the_list(staff_client, alpha_deal, url, order):
    response = staff_client.get(url, {"o": order})

    assert response.status_code == 200
    assert b'id="changelist"' in response.content
    if url == "/admin/deals/deal/":
        assert alpha_deal.title.encode() in response.content  # the rows, in the default order


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/admin/deals/deal/", "partner__id__exact"),
        ("/admin/deals/deal/", "customer__id__exact"),
        ("/admin/discounts/discount/", "partner__id__exact"),
        ("/admin/discounts/discount/", "customer__id__exact"),
        ("/admin/discounts/customerdiscount/", "customer__id__exact"),
    ],
)
@pytest.mark.parametrize("value", ["0001-01-01", "²", "abc", "1.5", "99999999999999999999999"])
def test_a_filter_by_an_id_that_is_no_id_is_djangos_error_page(
    staff_client, alpha_deal, url, parameter, value
):
    response = staff_client.get(url, {parameter: value})

    # Django's admin answers a bad lookup with the list's "?e=1" (an error note, no rows).
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    assert staff_client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("url", ["/admin/statements/statement/", "/admin/billing/topup/"])
def test_a_search_on_a_list_without_a_search_box_is_ignored(staff_client, url):
    response = staff_client.get(url, {"q": "0001-01-01"})

    assert response.status_code == 200
    assert b'id="changelist"' in response.content


def _change_lists():
    from django.contrib import admin

    return sorted(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    )


@pytest.mark.parametrize("url", _change_lists())
def test_every_change_list_takes_a_hand_made_search_and_sort(staff_client, url):
    response = staff_client.get(url, {"q": "0001-01-01 ²", "o": "99.-1.x"})

    assert response.status_code == 200, url
    assert b'id="changelist"' in response.content


def test_signed_in_sessions_are_searched_by_email(staff_client, alice, bob):
    from allauth.usersessions.models import UserSession

    for user, ip in ((alice, "10.0.0.1"), (bob, "10.0.0.2")):
        UserSession.objects.create(user=user, ip=ip, session_key=f"key-{ip}", user_agent="x")

    page = staff_client.get("/admin/usersessions/usersession/", {"q": "alice@alpha"})

    assert page.status_code == 200
    assert b"10.0.0.1" in page.content and b"10.0.0.2" not in page.content


@pytest.mark.parametrize("url", ["/admin/partners/partner/", "/admin/partners/customer/"])
def test_a_to_field_that_names_no_field_is_refused(staff_client, url):
    refused = staff_client.get(url, {"_to_field": "+"})
    popup = staff_client.get(url, {"_to_field": "id", "_popup": "1"})

    assert refused.status_code == 400  # Django's answer to a field it does not allow
    assert popup.status_code == 200  # the raw-id popup's own parameter still works


def test_a_moment_with_any_offset_filters_as_its_utc_form(staff_client, alpha_deal):
    """PostgreSQL takes offsets up to 15:59, RFC 3339 up to 23:59: the admin reads the
    moment in UTC (a 500 on PostgreSQL before)."""
    url = "/admin/deals/deal/"
    far = staff_client.get(url, {"updated_at__gte": "2000-01-01T19:48:00+19:48"})
    utc = staff_client.get(url, {"updated_at__gte": "2000-01-01T00:00:00+00:00"})
    later = staff_client.get(url, {"updated_at__gte": "9999-01-01T00:00:00-23:59"})

    assert far.status_code == utc.status_code == later.status_code == 200
    assert alpha_deal.title.encode() in far.content and alpha_deal.title.encode() in utc.content
    assert alpha_deal.title.encode() not in later.content


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "9999-12-31T23:30:00-23:59"])
def test_a_date_part_or_moment_past_the_calendar_is_djangos_error_page(staff_client, value):
    key = "updated_at__gte" if "T" in value else "attempt_time__year"
    url = "/admin/deals/deal/" if "T" in value else "/admin/axes/accesslog/"

    response = staff_client.get(url, {key: value})

    assert response.status_code == 302 and response["Location"].endswith("?e=1")
