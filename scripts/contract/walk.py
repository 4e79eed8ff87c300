"""The partner's path through the API with a client generated from the served schema by
openapi-python-client (the package `client`, on PYTHONPATH), as an integrator would:

register (with an Idempotency-Key, replayed exactly; reused with another body: 422) -> VNG Cloud
approves (the review service, as staff do in admin) -> qualified -> proposal -> won, which
answers with the issued discount -> the discount -> a customer discount drawn on it -> revoke
(a second revoke: 409); a deal VNG sends back is corrected and resubmitted by PATCH; lists are
read page by page (limit=1, following `next`). Every answer carries RateLimit headers.

Usage: walk.py BASE_URL TOKEN (run from the repository, with the server's environment: the
approval goes through `manage.py shell`).
"""

import datetime
import json
import random
import subprocess
import sys
import uuid
from urllib.parse import parse_qs, urlparse

from client import AuthenticatedClient
from client.api.deals import (
    deals_create,
    deals_list,
    deals_resubmit,
    deals_retrieve,
    deals_stage,
)
from client.api.discounts import (
    customer_discounts_create,
    customer_discounts_list,
    customer_discounts_revoke,
    discounts_retrieve,
)
from client.api.products import products_list
from client.models import (
    CustomerDiscountInRequest,
    CustomerDiscountRateInRequest,
    DealRegisterRequest,
    DealsListSort,
    PatchedDealResubmitRequest,
    Problem,
    ProductEnum,
    RateInRequest,
    StageChangeRequest,
    StageEnum,
)
from client.types import UNSET

STEPS = []


def step(name, response, status):
    """Check one answer: its status and the rate-limit headers every answer carries."""
    assert response.status_code == status, (name, response.status_code, response.content[:500])
    assert response.headers.get("RateLimit-Policy", "").startswith('"default";q='), name
    assert response.headers.get("RateLimit", "").startswith('"default";r='), name
    STEPS.append(name)
    print(f"  ok  {name} ({response.status_code})")
    return response.parsed


def staff(code: str) -> None:
    """What VNG Cloud staff do in admin, through the same service functions."""
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], check=True, stdout=subprocess.DEVNULL
    )


def review(action: str, deal_id: int) -> None:
    extra = ', comment="Please narrow the scope."' if action == "send_back_deal" else ""
    staff(
        "from deals.models import Deal; from deals.services import review; "
        "from partners.models import User; "
        f"review.{action}(Deal.objects.get(pk={deal_id}), "
        f'by=User.objects.get(email="staff@example.com"){extra})'
    )


def cursor_of(next_url):
    if next_url in (None, UNSET):
        return None
    return parse_qs(urlparse(next_url).query)["cursor"][0]


def all_pages(operation, name, **kwargs):
    """Every item of a list, one per page (limit=1), following the `next` links."""
    items, cursor, pages = [], UNSET, 0
    while True:
        page = step(
            f"{name} page {pages + 1}",
            operation.sync_detailed(client=api, limit=1, cursor=cursor, **kwargs),
            200,
        )
        items.extend(page.results)
        pages += 1
        cursor = cursor_of(page.next_)
        if cursor is None:
            return items, pages


def registration(title: str) -> DealRegisterRequest:
    return DealRegisterRequest(
        customer_tax_code=f"{random.randrange(10**9, 10**10):010d}",
        customer_name=f"Contract check customer {uuid.uuid4().hex[:8]}",
        title=title,
        estimated_value=250_000_000,
        expected_close_date=datetime.date.today() + datetime.timedelta(days=60),
        rates=[RateInRequest(product=ProductEnum("vserver"), rate="10.5")],
    )


base_url, token = sys.argv[1], sys.argv[2]
RUN = uuid.uuid4().hex[:10]  # marks this walk's deals
api = AuthenticatedClient(base_url=base_url, token=token, headers={"Accept-Language": "en"})

# Products, page by page.
products, pages = all_pages(products_list, "products")
assert pages == len(products) >= 2 and "vserver" in {p.code for p in products}

# Register, with a key; the retry replays the first answer exactly and writes nothing.
key = str(uuid.uuid4())
body = registration(f"Contract walk {RUN}")
created = deals_create.sync_detailed(client=api, body=body, idempotency_key=key)
deal = step("register", created, 201)
assert deal.status.value == "pending" and deal.stage.value == "prospect"
replay = deals_create.sync_detailed(client=api, body=body, idempotency_key=key)
step("register again with the same key", replay, 201)
# The same JSON (PostgreSQL's jsonb keeps the stored answer's keys in its own order).
assert replay.headers["Idempotent-Replayed"] == "true"
assert json.loads(replay.content) == json.loads(created.content)
other = registration("Another deal")
reused = step(
    "the same key with another body",
    deals_create.sync_detailed(client=api, body=other, idempotency_key=key),
    422,
)
assert isinstance(reused, Problem) and reused.code == "idempotency_key_reused"

# VNG Cloud approves; the partner moves it on and wins it.
review("approve_deal", deal.id)
approved = step("read the approved deal", deals_retrieve.sync_detailed(deal.id, client=api), 200)
assert approved.status.value == "approved"
for stage in ("qualified", "proposal", "negotiation"):
    step(
        f"stage {stage}",
        deals_stage.sync_detailed(
            deal.id,
            client=api,
            body=StageChangeRequest(stage=StageEnum(stage), note=f"Now {stage}"),
            idempotency_key=str(uuid.uuid4()),
        ),
        200,
    )
won_key = str(uuid.uuid4())
won_body = StageChangeRequest(stage=StageEnum("won"), note="Signed")
won = step(
    "won",
    deals_stage.sync_detailed(deal.id, client=api, body=won_body, idempotency_key=won_key),
    200,
)
assert won.deal.stage.value == "won" and won.discount is not None
won_again = deals_stage.sync_detailed(deal.id, client=api, body=won_body, idempotency_key=won_key)
step("won again with the same key", won_again, 200)
assert won_again.headers["Idempotent-Replayed"] == "true"

# The discount the win issued, and one drawn on it for the customer, then revoked.
discount = step("the discount", discounts_retrieve.sync_detailed(won.discount.id, client=api), 200)
assert [line.product for line in discount.lines] == ["vserver"]
drawn = step(
    "customer discount",
    customer_discounts_create.sync_detailed(
        discount.id,
        client=api,
        body=CustomerDiscountInRequest(
            customer=discount.customer.id,
            rates=[CustomerDiscountRateInRequest(product=ProductEnum("vserver"), rate="5")],
            valid_from=discount.valid_from,
            valid_until=discount.valid_until,
            note="First year",
        ),
        idempotency_key=str(uuid.uuid4()),
    ),
    201,
)
listed, _pages = all_pages(customer_discounts_list, "customer discounts", id=discount.id)
assert drawn.id in {cd.id for cd in listed}
revoked = step(
    "revoke",
    customer_discounts_revoke.sync_detailed(discount.id, drawn.id, client=api),
    200,
)
assert revoked.status.value == "revoked"
again = step(
    "revoke again",
    customer_discounts_revoke.sync_detailed(discount.id, drawn.id, client=api),
    409,
)
assert again.code == "already_revoked"

# A deal VNG sends back is corrected and resubmitted.
second = step(
    "register a second deal",
    deals_create.sync_detailed(client=api, body=registration(f"Second {RUN}")),
    201,
)
review("send_back_deal", second.id)
resubmitted = step(
    "resubmit",
    deals_resubmit.sync_detailed(
        second.id,
        client=api,
        body=PatchedDealResubmitRequest(title=f"Narrowed {second.title}", note="Scope narrowed"),
        idempotency_key=str(uuid.uuid4()),
    ),
    200,
)
assert resubmitted.status.value == "pending" and resubmitted.title.startswith("Narrowed")

# Both deals (their titles carry the run's mark), one per page, the newest change first.
deals, pages = all_pages(deals_list, "deals", q=RUN, sort=DealsListSort("-updated"))
assert [d.id for d in deals] == [second.id, deal.id] and pages == 2

print(f"walk passed: {len(STEPS)} steps")
