"""The sandbox: a sandbox token acts on the partner's own test organisation, where
registrations approve themselves after a delay and webhooks fire, and which VNG Cloud's
queues, reports and statements never show."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiToken
from deals import programme, review_queue, tasks
from deals.business_days import Calendar
from deals.models import Deal, StageChange
from deals.services import approve_deal
from deals.services.overdue import review_overdue_events
from deals.services.sandbox import approve_due_sandbox_registrations
from discounts.models import Discount
from notifications.models import Activity, Event, Kind
from notifications.recipients import recipients_for
from partners.models import Contract, Customer, Partner
from partners.services import transfer_ownership
from statements.models import Adjustment
from statements.services.drafting import partners_to_draft
from tests.api.conftest import ApiClient
from tests.api.receiver import Receiver
from tests.api.test_deals import registration
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

TAX_CODE = "0312345678"


def make_sandbox_token(partner, user, access=ApiToken.Access.READ_WRITE):
    from api.services import create_api_token

    return create_api_token(partner=partner, by=user, name="Test CRM", access=access, sandbox=True)


@pytest.fixture
def sandbox_api(alpha, alice):
    _token, secret = make_sandbox_token(alpha, alice)
    return ApiClient(secret)


@pytest.fixture
def sandbox(sandbox_api, alpha):
    return Partner.objects.get(sandbox_of=alpha)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def register(api, **overrides) -> Deal:
    response = api.post("/api/v1/deals/", registration(**overrides))
    assert response.status_code == 201, response.json()
    return Deal.objects.get(pk=response.json()["id"])


# --- the token page ---------------------------------------------------------------------------


def test_token_page_makes_a_sandbox_token_and_says_which_kind_each_is(alice_client, alpha, alice):
    alice_client.post(
        "/team/tokens/", {"name": "Live", "access": "read", "environment": "production"}
    )
    response = alice_client.post(
        "/team/tokens/", {"name": "Tests", "access": "read_write", "environment": "sandbox"}
    )

    assert response.status_code == 200
    tokens = {t.name: t for t in ApiToken.objects.all()}
    assert (tokens["Live"].is_sandbox, tokens["Tests"].is_sandbox) == (False, True)
    assert tokens["Tests"].partner == alpha  # the organisation's token, acting on its sandbox
    sandbox = Partner.objects.get(sandbox_of=alpha)
    assert (sandbox.tax_code, sandbox.status) == (alpha.tax_code, Partner.Status.ACTIVE)
    # The same contract rules: the partner's contract is copied.
    [real] = alpha.contracts.all()
    [copy] = sandbox.contracts.all()
    assert copy.number == f"SANDBOX-{real.pk}"
    assert (copy.start_date, copy.end_date, copy.max_discount_rate) == (
        real.start_date,
        real.end_date,
        real.max_discount_rate,
    )
    page = alice_client.get("/team/tokens/").content.decode()
    kinds = page.split("data-token-environment")[1:]
    # Newest first: "Tests", then "Live".
    assert ["Sandbox" in kinds[0], "Production" in kinds[1]] == [True, True]
    assert "Production" not in kinds[0] and "Sandbox" not in kinds[1].split("</td>")[0]
    assert Activity.objects.filter(action="partner.sandbox_created", partner=alpha).count() == 1


def test_a_second_sandbox_token_reuses_the_sandbox_and_copies_new_contracts(alpha, alice):
    make_sandbox_token(alpha, alice)
    later = Contract.objects.create(
        partner=alpha,
        number="HD-LATER",
        start_date=timezone.localdate() + timedelta(days=800),
        end_date=timezone.localdate() + timedelta(days=900),
        max_discount_rate=5,
    )
    make_sandbox_token(alpha, alice)

    assert Partner.objects.filter(sandbox_of=alpha).count() == 1
    numbers = set(Partner.objects.get(sandbox_of=alpha).contracts.values_list("number", flat=True))
    assert f"SANDBOX-{later.pk}" in numbers and len(numbers) == 2


# --- scoping ----------------------------------------------------------------------------------


def test_sandbox_token_sees_only_sandbox_data_and_the_real_token_never_sees_it(
    sandbox_api, alpha_api, sandbox, alpha, alice, vserver
):
    real = DealFactory(partner=alpha, created_by=alice, customer__tax_code=TAX_CODE)
    test = register(sandbox_api, title="A test deal", customer_tax_code=TAX_CODE)

    # Its own customer with the same tax code; the real one is untouched.
    assert test.partner == sandbox and test.customer != real.customer
    assert (test.customer.tax_code, test.customer.sandbox) == (TAX_CODE, sandbox)
    assert Customer.objects.filter(tax_code=TAX_CODE).count() == 2

    listed = [d["id"] for d in sandbox_api.get("/api/v1/deals/").json()["results"]]
    assert listed == [test.pk]
    listed = [d["id"] for d in alpha_api.get("/api/v1/deals/").json()["results"]]
    assert listed == [real.pk]
    assert sandbox_api.get(f"/api/v1/deals/{real.pk}/").status_code == 404
    assert alpha_api.get(f"/api/v1/deals/{test.pk}/").status_code == 404
    found = alpha_api.get("/api/v1/deals/", {"q": "test deal"}).json()["results"]
    assert found == []


def test_a_sandbox_win_issues_a_test_discount_and_moves_no_real_customer(
    sandbox_api, alpha_api, sandbox, beta, bob, vserver
):
    owned = DealFactory(partner=beta, created_by=bob, approved=True, customer__tax_code=TAX_CODE)
    transfer_ownership(customer=owned.customer, partner=beta, deal=owned)
    deal = register(sandbox_api, customer_tax_code=TAX_CODE)
    tasks.approve_sandbox_registration(deal.pk)

    response = sandbox_api.post(f"/api/v1/deals/{deal.pk}/stage/", {"stage": "won"})

    assert response.status_code == 200, response.json()
    assert response["Sandbox"] == "true"
    discount = Discount.objects.get(deal=deal)
    assert discount.partner == sandbox
    owned.customer.refresh_from_db()
    assert owned.customer.owner == beta  # the real company stays beta's
    deal.customer.refresh_from_db()
    assert deal.customer.owner == sandbox
    assert [c["id"] for c in sandbox_api.get("/api/v1/customers/").json()["results"]] == [
        deal.customer.pk
    ]
    assert alpha_api.get("/api/v1/customers/").json()["results"] == []
    assert alpha_api.get(f"/api/v1/discounts/{discount.pk}/").status_code == 404


def test_a_sandbox_claim_never_meets_a_real_one(sandbox_api, sandbox, beta, bob, vserver):
    test = register(sandbox_api, customer_tax_code=TAX_CODE)
    tasks.approve_sandbox_registration(test.pk)
    real = DealFactory(partner=beta, created_by=bob, customer__tax_code=TAX_CODE + "-001")

    assert list(
        review_queue.with_flags(Deal.objects.filter(pk=real.pk)).values_list(
            "has_conflict", "has_duplicate"
        )
    ) == [(False, False)]
    from deals.selectors import conflicting_claims

    assert not conflicting_claims(real).exists()


# --- Sandbox: true ------------------------------------------------------------------------------


def test_every_sandbox_answer_says_sandbox_and_no_real_one_does(
    sandbox_api, alpha_api, alpha_deal, vserver
):
    answers = [
        sandbox_api.get("/api/v1/deals/"),
        sandbox_api.get(f"/api/v1/deals/{alpha_deal.pk}/"),  # 404
        sandbox_api.post("/api/v1/deals/", {"title": ""}),  # 400
        sandbox_api.get("/api/v1/products/"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 400, 200]
    assert [a.get("Sandbox") for a in answers] == ["true"] * 4

    real = [alpha_api.get("/api/v1/deals/"), alpha_api.get(f"/api/v1/deals/{alpha_deal.pk}/")]
    assert [a.status_code for a in real] == [200, 200]
    assert [a.has_header("Sandbox") for a in real] == [False, False]


def test_the_schema_declares_the_sandbox_header(alpha_api):
    schema = alpha_api.get("/api/v1/schema/", {"format": "json"}).json()
    headers = schema["paths"]["/api/v1/deals/"]["get"]["responses"]["200"]["headers"]
    assert headers["Sandbox"]["schema"] == {"type": "string", "enum": ["true"]}
    assert headers["Sandbox"].get("required", False) is False


# --- approved automatically ---------------------------------------------------------------------


def test_a_sandbox_registration_is_approved_after_the_delay_by_the_system(
    sandbox_api, sandbox, settings, vserver
):
    settings.SANDBOX_AUTO_APPROVE_SECONDS = 30
    deal = register(sandbox_api)
    now = timezone.now()

    assert approve_due_sandbox_registrations(now=now) == 0
    deal.refresh_from_db()
    assert deal.status == Deal.Status.PENDING

    assert approve_due_sandbox_registrations(now=now + timedelta(seconds=31)) == 1
    deal.refresh_from_db()
    assert (deal.status, deal.reviewed_by, deal.protected_until is not None) == (
        Deal.Status.APPROVED,
        None,
        True,
    )
    entry = Activity.objects.get(action="deal.approved", object_id=str(deal.pk))
    assert (entry.actor, entry.partner) == (None, sandbox)
    assert StageChange.objects.filter(deal=deal, to_status=Deal.Status.APPROVED).count() == 1
    assert Event.objects.filter(deal=deal, kind=Kind.DEAL_APPROVED).count() == 1


def test_the_countdown_task_approves_once(sandbox_api, alpha_deal, vserver):
    deal = register(sandbox_api)

    assert tasks.approve_sandbox_registration(deal.pk) is True
    assert tasks.approve_sandbox_registration(deal.pk) is False  # a repeat: nothing to do
    # A real registration is never approved by it.
    pending = DealFactory(partner=alpha_deal.partner, created_by=alpha_deal.created_by)
    assert tasks.approve_sandbox_registration(pending.pk) is False
    pending.refresh_from_db()
    assert pending.status == Deal.Status.PENDING
    assert Activity.objects.filter(action="deal.approved").count() == 1


def test_sandbox_webhooks_fire_to_the_sandboxes_own_endpoints(
    sandbox_api, alpha_api, sandbox, settings, vserver, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    test_receiver, real_receiver = Receiver().start(), Receiver().start()
    try:
        for api, receiver in ((sandbox_api, test_receiver), (alpha_api, real_receiver)):
            made = api.post(
                "/api/v1/webhook-endpoints/",
                {"url": receiver.url, "event_types": ["deal.approved"]},
            )
            assert made.status_code == 201, made.json()
        with django_capture_on_commit_callbacks(execute=True):
            deal = register(sandbox_api)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.approve_sandbox_registration(deal.pk)
    finally:
        test_receiver.stop()
        real_receiver.stop()

    assert len(test_receiver.requests) == 1 and real_receiver.requests == []
    import json

    body = json.loads(test_receiver.requests[0]["body"])
    assert (body["type"], body["deal"], body["data"]["deal"]["status"]) == (
        "deal.approved",
        deal.pk,
        "approved",
    )


def test_a_sandbox_event_reaches_no_person(sandbox_api, staff, settings, vserver):
    from django.contrib.auth.models import Group

    group, _created = Group.objects.get_or_create(name=settings.NOTIFICATION_REVIEWERS_GROUP)
    staff.groups.add(group)
    deal = register(sandbox_api)

    event = Event.objects.get(deal=deal, kind=Kind.DEAL_REGISTERED)
    assert recipients_for(event) == []


# --- never in VNG's queues and reports ----------------------------------------------------------


@pytest.fixture
def both(sandbox_api, alpha, alice, vserver):
    """A real registration waiting and a sandbox one waiting; a real approved deal and a
    sandbox approved deal, each open."""
    return {
        "real_pending": DealFactory(partner=alpha, created_by=alice, title="Real waiting"),
        "test_pending": register(sandbox_api, title="Sandbox waiting"),
        "real_open": DealFactory(
            partner=alpha, created_by=alice, approved=True, stage="proposal", title="Real open"
        ),
        "test_open": register(sandbox_api, title="Sandbox open", customer_tax_code="0301111111"),
    }


def test_sandbox_rows_are_not_in_the_review_queue_or_the_admin_index(staff_client, staff, both):
    tasks.approve_sandbox_registration(both["test_open"].pk)

    page = staff_client.get("/admin/review/").content.decode()
    assert "Real waiting" in page and "Sandbox waiting" not in page
    counts = staff_client.get("/admin/").context["review_counts"]
    assert counts.waiting == 1
    assert list(review_queue.waiting()) == [both["real_pending"]]


def test_sandbox_rows_are_not_in_the_programme(staff_client, staff, both, alpha):
    tasks.approve_sandbox_registration(both["test_open"].pk)
    approve_deal(both["real_pending"], by=staff)
    sandbox = Partner.objects.get(sandbox_of=alpha)
    today = timezone.localdate()

    assert {row.key for row in programme.pipeline_by_partner()} == {str(alpha.pk)}
    assert sum(row.count for row in programme.pipeline_by_stage()) == 2  # both real
    assert sum(p.count for p in programme.registrations_by_week(today)) == 2  # both real
    _periods, total = programme.review_times(Calendar(), today)
    assert total.reviews == 1  # staff's approval, not the sandbox's
    assert sandbox.pk not in {p.pk for p in programme.inactive_partners(today)}
    page = staff_client.get("/admin/programme/").content.decode()
    assert "[sandbox]" not in page


def test_admin_lists_leave_the_sandbox_out_unless_asked(staff_client, both, alpha):
    default = staff_client.get("/admin/deals/deal/").content.decode()
    assert "Real waiting" in default and "Sandbox waiting" not in default
    only = staff_client.get("/admin/deals/deal/", {"sandbox": "only"}).content.decode()
    assert "Sandbox waiting" in only and "Real waiting" not in only
    every = staff_client.get("/admin/deals/deal/", {"sandbox": "all"}).content.decode()
    assert "Sandbox waiting" in every and "Real waiting" in every
    partners = staff_client.get("/admin/partners/partner/").content.decode()
    assert alpha.name in partners and "[sandbox]" not in partners
    customers = staff_client.get("/admin/partners/customer/", {"sandbox": "only"})
    assert customers.status_code == 200
    assert both["test_pending"].customer.name in customers.content.decode()


def test_the_overdue_job_and_statements_leave_the_sandbox_out(both, alpha, staff):
    long_ago = timezone.now() - timedelta(days=6)
    Deal.objects.filter(pk__in=[both["real_pending"].pk, both["test_pending"].pk]).update(
        submitted_at=long_ago
    )
    assert review_overdue_events() == 1
    assert Event.objects.get(kind=Kind.REVIEW_OVERDUE).deal == both["real_pending"]

    sandbox = Partner.objects.get(sandbox_of=alpha)
    month = timezone.localdate().replace(day=1)
    for partner in (alpha, sandbox):
        Adjustment.objects.create(
            partner=partner,
            month=month,
            about_month=month,
            kind=Adjustment.Kind.STAFF,
            amount=1000,
            reason="test",
            created_by=staff,
        )
    assert partners_to_draft(month) == [alpha.pk]


def test_sandbox_customers_are_no_possible_duplicates(sandbox_api, alpha, alice, vserver):
    from deals.selectors import possible_duplicates

    DealFactory(partner=alpha, created_by=alice, customer__tax_code=TAX_CODE)
    register(sandbox_api, customer_tax_code=TAX_CODE + "-001")  # same company, test customer

    assert possible_duplicates()["groups"] == []


def test_the_review_queue_gauges_leave_the_sandbox_out(both, client, settings):
    settings.METRICS_TOKEN = "metrics-secret"
    scrape = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-secret")

    lines = scrape.content.decode().splitlines()
    assert [line.split()[-1] for line in lines if line.startswith("portal_review_queue ")] == [
        "1.0"
    ]
