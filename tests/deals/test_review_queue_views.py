"""The review queue in admin (/admin/review/) and the queue's counts on the admin index."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from deals.services import take_for_review
from tests.factories import CustomerFactory, DealFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/"
# A Monday; the tests move "today" through the week by the registrations' submission times.
MONDAY = datetime(2026, 11, 30, 10)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def lan(db):
    return UserFactory(email="lan@vngcloud.test", first_name="Lan", last_name="Trần", is_staff=True)


def waiting(partner, by, *, days_ago=0, **kwargs):
    """A registration submitted `days_ago` calendar days before now."""
    deal = DealFactory(partner=partner, created_by=by, **kwargs)
    submitted = timezone.now() - timedelta(days=days_ago)
    Deal.objects.filter(pk=deal.pk).update(submitted_at=submitted)
    deal.refresh_from_db()
    return deal


def rows(response) -> list[int]:
    return [row.deal.pk for row in response.context["rows"]]


def test_the_queue_lists_registrations_waiting_oldest_first(staff_client, alpha, alice, beta):
    newer = waiting(alpha, alice, days_ago=1)
    older = waiting(alpha, alice, days_ago=20)
    DealFactory(partner=alpha, created_by=alice, approved=True)  # reviewed: not in the queue
    sent_back = waiting(alpha, alice, days_ago=30)
    Deal.objects.filter(pk=sent_back.pk).update(status=Deal.Status.ACTION_REQUIRED)

    response = staff_client.get(QUEUE)

    assert response.status_code == 200
    assert rows(response) == [older.pk, newer.pk]
    html = response.content.decode()
    assert older.customer.tax_code in html
    assert 'data-sla="overdue"' in html
    first = response.context["rows"][0]
    assert first.clock.state == "overdue" and first.clock.age >= 12


def test_the_queue_filters(staff_client, staff, alpha, alice, beta, bob, vserver, vstorage):
    late = waiting(alpha, alice, days_ago=20, rates={vstorage: 10})
    fresh = waiting(alpha, alice, days_ago=0)
    betas = waiting(beta, bob, days_ago=0)
    take_for_review(fresh, by=staff)
    # Another partner's protected claim on the same company: a conflict for beta's deal.
    claim = DealFactory(partner=alpha, created_by=alice, approved=True, customer=betas.customer)
    # The same company registered twice and still waiting: possible duplicates.
    branch = CustomerFactory(tax_code=late.customer.tax_code + "-001")
    twin = waiting(beta, bob, days_ago=0, customer=branch)

    def listed(**params):
        return rows(staff_client.get(QUEUE, params))

    assert listed() == [late.pk, fresh.pk, betas.pk, twin.pk]
    assert listed(overdue="1") == [late.pk]
    assert listed(partner=beta.pk) == [betas.pk, twin.pk]
    assert listed(product=vstorage.pk) == [late.pk]
    assert listed(conflict="1") == [betas.pk]
    assert listed(duplicate="1") == [late.pk, twin.pk]
    assert listed(mine="1") == [fresh.pk]
    assert listed(partner=beta.pk, duplicate="1") == [twin.pk]
    assert listed(partner="nonsense", product="-3") == listed()
    assert claim.pk not in listed()


def test_the_queue_pages_by_keyset_without_repeating_a_row(staff_client, alpha, alice):
    deals = [waiting(alpha, alice, days_ago=40 - i) for i in range(30)]

    first = staff_client.get(QUEUE)
    cursor = first.context["page"].next_cursor
    second = staff_client.get(QUEUE, {"cursor": cursor})

    assert rows(first) == [deal.pk for deal in deals[:25]]
    assert rows(second) == [deal.pk for deal in deals[25:]]
    assert second.context["page"].next_cursor == ""


def test_the_queue_page_makes_a_bounded_number_of_queries(
    staff_client, alpha, alice, django_assert_max_num_queries
):
    for i in range(30):
        waiting(alpha, alice, days_ago=i)

    with django_assert_max_num_queries(12):
        staff_client.get(QUEUE)


def test_take_from_the_row_and_another_reviewer_sees_who(client, staff, lan, alpha, alice):
    deal = waiting(alpha, alice)
    lan.user_permissions.add(*Permission.objects.filter(codename__in=["view_deal", "change_deal"]))
    client.force_login(lan)

    response = client.post(QUEUE, {"row_action": f"take:{deal.pk}"})

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.review_taken_by == lan
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    assert "Trần Lan" in html and f'value="take_over:{deal.pk}"' in html


def test_a_ticked_id_that_is_no_number_is_left_out(staff_client, staff, alpha, alice):
    deal = waiting(alpha, alice, days_ago=2)

    response = staff_client.post(QUEUE, {"action": "approve", "deal": [deal.pk, "²", "9" * 40]})

    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).status == "approved"


def test_approve_and_send_back_the_ticked_from_the_queue(staff_client, staff, alpha, alice):
    first, second, third = (waiting(alpha, alice, days_ago=i) for i in (3, 2, 1))

    approved = staff_client.post(QUEUE, {"action": "approve", "deal": [first.pk, second.pk]})
    sent_back = staff_client.post(
        QUEUE, {"action": "send_back", "deal": [third.pk], "reason": "Bổ sung BOM."}
    )

    assert approved.status_code == 302 and sent_back.status_code == 302
    statuses = dict(Deal.objects.values_list("pk", "status"))
    assert [statuses[d.pk] for d in (first, second, third)] == [
        "approved",
        "approved",
        "action_required",
    ]
    third.refresh_from_db()
    assert (third.review_comment, third.reviewed_by) == ("Bổ sung BOM.", staff)
    assert rows(staff_client.get(QUEUE)) == []


def test_send_back_without_a_reason_shows_the_error_and_changes_nothing(staff_client, alpha, alice):
    deal = waiting(alpha, alice)

    response = staff_client.post(QUEUE, {"action": "send_back", "deal": [deal.pk]})

    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Say what the partner should change."]
    deal.refresh_from_db()
    assert deal.status == Deal.Status.PENDING and deal.reviewed_at is None


def test_a_refusal_is_shown_on_its_row_and_the_typed_reason_is_kept(
    staff_client, lan, alpha, alice
):
    mine, theirs = waiting(alpha, alice, days_ago=2), waiting(alpha, alice, days_ago=1)
    take_for_review(theirs, by=lan)

    response = staff_client.post(
        QUEUE, {"action": "reject", "deal": [mine.pk, theirs.pk], "reason": "Khách hàng trùng."}
    )

    assert response.status_code == 200
    assert [row.error for row in response.context["rows"]] == [
        response.context["refused"][theirs.pk]
    ]
    html = response.content.decode()
    assert "Khách hàng trùng.</textarea>" in html
    assert f'value="{theirs.pk}" id="deal-{theirs.pk}" checked' in html
    statuses = dict(Deal.objects.values_list("pk", "status"))
    assert (statuses[mine.pk], statuses[theirs.pk]) == ("rejected", "pending")


def test_nothing_ticked_is_an_error(staff_client, alpha, alice):
    waiting(alpha, alice)

    response = staff_client.post(QUEUE, {"action": "approve"})

    assert response.status_code == 400
    assert Deal.objects.filter(status="approved").count() == 0


def test_partners_and_anonymous_users_never_see_the_queue(client, alice, alpha):
    deal = waiting(alpha, alice)

    assert client.get(QUEUE).status_code == 302  # to sign in
    client.force_login(alice)
    assert client.get(QUEUE, follow=True).status_code == 403
    response = client.post(QUEUE, {"action": "approve", "deal": [deal.pk]}, follow=True)
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.status == Deal.Status.PENDING


def test_staff_need_the_deal_permissions(client, alpha, alice):
    deal = waiting(alpha, alice)
    clerk = UserFactory(email="clerk@vngcloud.test", is_staff=True)
    client.force_login(clerk)

    assert client.get(QUEUE).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_deal"))
    assert client.get(QUEUE).status_code == 200
    response = client.post(QUEUE, {"action": "approve", "deal": [deal.pk]})
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.status == Deal.Status.PENDING


def test_staff_without_a_partner_land_on_the_queue(staff_client):
    response = staff_client.get("/")

    assert response.status_code == 302 and response["Location"] == QUEUE


def test_the_admin_index_opens_with_the_queues_counts(staff_client, staff, alpha, alice):
    waiting(alpha, alice, days_ago=20)
    waiting(alpha, alice, days_ago=20)
    taken = waiting(alpha, alice)
    take_for_review(taken, by=staff)

    response = staff_client.get(reverse("admin:index"))

    counts = response.context["review_counts"]
    assert (counts.waiting, counts.overdue, counts.mine) == (3, 2, 1)
    html = response.content.decode()
    assert html.index("data-review-counts") < html.index("app-deals")
    assert f'href="{QUEUE}?overdue=1" data-count="overdue"' in html
    assert f'href="{QUEUE}?mine=1" data-count="mine"' in html


def test_the_counts_stop_at_the_cap(staff, alpha, alice, monkeypatch):
    from deals import review_queue
    from deals.business_days import Calendar

    for _ in range(3):
        waiting(alpha, alice)
    monkeypatch.setattr(review_queue, "COUNT_CAP", 2)

    counts = review_queue.queue_counts(user=staff, cal=Calendar(), today=timezone.localdate())

    assert counts.waiting == 2 and counts.more == frozenset({"waiting"})


def test_a_product_filter_lists_products_and_the_partner_filter_is_an_autocomplete(
    staff_client, alpha, alice
):
    ProductFactory(code="vdb", name="vDB")
    waiting(alpha, alice)

    html = staff_client.get(QUEUE, {"partner": alpha.pk}).content.decode()

    assert "vDB" in html
    assert "admin-autocomplete" in html and f'<option value="{alpha.pk}" selected>' in html


def test_the_clock_uses_the_submission_not_the_registration(staff_client, alpha, alice):
    deal = waiting(alpha, alice)
    Deal.objects.filter(pk=deal.pk).update(
        created_at=timezone.make_aware(MONDAY) - timedelta(days=60)
    )

    row = staff_client.get(QUEUE).context["rows"][0]

    assert row.clock.age == 0 and row.clock.state == "on_time"


def test_the_conflict_flag_agrees_with_the_registration_rule(alpha, alice, beta, bob):
    """The queue's row flag and `has_conflicting_claim` (registration, winning) decide alike:
    same customer, head office and branch, another company, the partner's own claim, an
    expired claim."""
    from deals import review_queue
    from deals.services import has_conflicting_claim

    head = CustomerFactory(tax_code="0312345678")
    branch = CustomerFactory(tax_code="0312345678-001")
    other = CustomerFactory(tax_code="0399999999")
    expired_for = CustomerFactory(tax_code="0388888888")
    DealFactory(partner=alpha, created_by=alice, approved=True, customer=head)
    claim = DealFactory(partner=alpha, created_by=alice, approved=True, customer=expired_for)
    Deal.objects.filter(pk=claim.pk).update(protected_until=timezone.localdate() - timedelta(1))
    cases = [
        waiting(beta, bob, customer=head),
        waiting(beta, bob, customer=branch),
        waiting(beta, bob, customer=other),
        waiting(alpha, alice, customer=branch),
        waiting(beta, bob, customer=expired_for),
    ]

    flags = dict(
        review_queue.with_flags(Deal.objects.filter(pk__in=[d.pk for d in cases])).values_list(
            "pk", "has_conflict"
        )
    )

    assert [flags[d.pk] for d in cases] == [has_conflicting_claim(d) for d in cases]
    assert [flags[d.pk] for d in cases] == [True, True, False, False, False]


def test_a_registration_with_a_conflict_is_not_approved_among_the_ticked(
    staff_client, alpha, alice, beta, bob
):
    """Approving it gives two partners protection on one customer: the reviewer decides that
    on its own page, where the other claim is shown, not in a batch."""
    plain = waiting(alpha, alice, days_ago=2)
    disputed = waiting(alpha, alice, days_ago=1)
    DealFactory(partner=beta, created_by=bob, customer=disputed.customer, approved=True)

    response = staff_client.post(QUEUE, {"action": "approve", "deal": [plain.pk, disputed.pk]})
    listed = staff_client.post(
        reverse("admin:deals_deal_changelist"),
        {"action": "approve_selected", "_selected_action": [disputed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "decide it on its own page" in response.context["refused"][disputed.pk]
    assert "decide it on its own page" in listed.content.decode()
    statuses = dict(Deal.objects.values_list("pk", "status"))
    assert (statuses[plain.pk], statuses[disputed.pk]) == ("approved", "pending")
    page = staff_client.get(reverse("admin:deals_deal_review", args=[disputed.pk]))
    assert "data-claims" in page.content.decode() and beta.name in page.content.decode()
    decided = staff_client.post(
        reverse("admin:deals_deal_review", args=[disputed.pk]),
        {"decision": "approve", "comment": "Đã kiểm tra hai bên.", "protection_days": "90"},
    )
    assert decided.status_code == 302 and decided["Location"] == QUEUE
    disputed.refresh_from_db()
    assert disputed.status == Deal.Status.APPROVED
