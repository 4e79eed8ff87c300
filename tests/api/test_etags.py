"""ETags on every resource GET, If-None-Match → 304, If-Match on PATCH and stage changes →
412 with the current deal when stale; the version is compared on the locked row."""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from deals.models import Deal, StageChange
from deals.services import change_stage, set_external_id
from notifications.models import Activity
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def url(deal):
    return f"/api/v1/deals/{deal.pk}/"


def test_a_deal_carries_its_version_as_etag(alpha_api, alpha_deal):
    response = alpha_api.get(url(alpha_deal))

    assert response.status_code == 200
    assert response["ETag"] == f'"{alpha_deal.version}"'


def test_if_none_match_with_the_current_etag_answers_304(alpha_api, alpha_deal):
    etag = alpha_api.get(url(alpha_deal))["ETag"]

    response = alpha_api.get(url(alpha_deal), headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_if_none_match_after_a_change_answers_200_with_a_new_etag(alpha_api, alpha_deal, alice):
    etag = alpha_api.get(url(alpha_deal))["ETag"]
    change_stage(alpha_deal, "lost", by=alice, lost_reason="Budget")

    response = alpha_api.get(url(alpha_deal), headers={"If-None-Match": f'W/{etag}, "x"'})

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["stage"] == "lost"


def test_patch_with_the_current_etag_changes_the_deal(alpha_api, alpha_deal):
    etag = alpha_api.get(url(alpha_deal))["ETag"]

    response = alpha_api.patch(url(alpha_deal), {"external_id": "SF-1"}, headers={"If-Match": etag})

    assert response.status_code == 200
    alpha_deal.refresh_from_db()
    assert alpha_deal.external_id == "SF-1"
    assert response["ETag"] == f'"{alpha_deal.version}"' != etag


def test_patch_with_a_stale_etag_answers_412_with_the_current_deal(alpha_api, alpha_deal, alice):
    stale = alpha_api.get(url(alpha_deal))["ETag"]
    set_external_id(alpha_deal, by=alice, external_id="SF-1")  # somebody else, meanwhile
    current = alpha_api.get(url(alpha_deal))

    response = alpha_api.patch(
        url(alpha_deal), {"external_id": "SF-2"}, headers={"If-Match": stale}
    )

    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["code"]) == (412, "stale")
    assert problem["current"] == current.json()
    assert response["ETag"] == current["ETag"]
    alpha_deal.refresh_from_db()
    assert alpha_deal.external_id == "SF-1"
    assert Activity.objects.filter(action="deal.external_id_set").count() == 1


def test_a_stale_resubmission_is_refused_whole(alpha_api, alpha, alice, staff):
    from deals.services import send_back_deal

    deal = DealFactory(partner=alpha, created_by=alice)
    send_back_deal(deal, by=staff, comment="Which region?")
    stale = alpha_api.get(url(deal))["ETag"]
    set_external_id(deal, by=alice, external_id="SF-1")

    response = alpha_api.patch(
        url(deal), {"external_id": "SF-2", "title": "Renamed"}, headers={"If-Match": stale}
    )

    assert response.status_code == 412
    deal.refresh_from_db()
    assert (deal.external_id, deal.status) == ("SF-1", "action_required")
    assert deal.title != "Renamed"


def test_stage_change_with_a_stale_etag_is_refused(alpha_api, alpha_deal, alice):
    stale = alpha_api.get(url(alpha_deal))["ETag"]
    set_external_id(alpha_deal, by=alice, external_id="SF-1")

    response = alpha_api.post(
        f"{url(alpha_deal)}stage/", {"stage": "won"}, headers={"If-Match": stale}
    )

    assert response.status_code == 412
    assert response.json()["current"]["external_id"] == "SF-1"
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert not StageChange.objects.filter(deal=alpha_deal, to_stage="won").exists()
    assert not hasattr(alpha_deal, "discount") or alpha_deal.discount is None


def test_stage_change_with_the_current_etag_answers_the_new_one(alpha_api, alpha_deal):
    etag = alpha_api.get(url(alpha_deal))["ETag"]

    response = alpha_api.post(
        f"{url(alpha_deal)}stage/",
        {"stage": "lost", "lost_reason_text": "Budget"},
        headers={"If-Match": etag},
    )

    assert response.status_code == 200
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "lost"
    assert response["ETag"] == f'"{alpha_deal.version}"' != etag


@pytest.mark.parametrize("header", ['W/"{v}"', "{v}", '"nope"'])
def test_a_weak_or_malformed_if_match_never_matches(alpha_api, alpha_deal, header):
    response = alpha_api.patch(
        url(alpha_deal),
        {"external_id": "SF-1"},
        headers={"If-Match": header.format(v=alpha_deal.version)},
    )

    assert response.status_code == 412
    alpha_deal.refresh_from_db()
    assert alpha_deal.external_id is None


def test_if_match_star_is_no_condition(alpha_api, alpha_deal):
    response = alpha_api.patch(url(alpha_deal), {"external_id": "SF-1"}, headers={"If-Match": "*"})

    assert response.status_code == 200


def test_if_match_with_two_etags_is_a_400(alpha_api, alpha_deal):
    response = alpha_api.patch(
        url(alpha_deal), {"external_id": "SF-1"}, headers={"If-Match": '"a", "b"'}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "If-Match"


def test_another_partners_deal_is_404_before_any_precondition(alpha_api, beta_deal):
    response = alpha_api.patch(url(beta_deal), {"external_id": "x"}, headers={"If-Match": '"1"'})

    assert response.status_code == 404


def test_discount_customer_and_customer_discount_have_etags(alpha_api, alpha_deal, alice):
    change_stage(alpha_deal, "won", by=alice)
    discount = alpha_deal.discount
    for path in (
        f"/api/v1/discounts/{discount.pk}/",
        f"/api/v1/customers/{alpha_deal.customer_id}/",
    ):
        first = alpha_api.get(path)
        assert first.status_code == 200 and first["ETag"].startswith('"')

        again = alpha_api.get(path, headers={"If-None-Match": first["ETag"]})

        assert again.status_code == 304, path
        assert again.content == b""


def test_lists_have_no_etag(alpha_api, alpha_deal):
    response = alpha_api.get("/api/v1/deals/")

    assert response.status_code == 200
    assert not response.has_header("ETag")


def race_from_one_version(deal, user, tag) -> list[str]:
    """Eight threads each change `deal` from the version they all read: half set an
    external_id, half change the stage. Returns each one's outcome ("ok" or the code)."""
    version = deal.version
    barrier = threading.Barrier(8)
    outcomes, lock = [], threading.Lock()

    def press(n):
        try:
            barrier.wait(timeout=10)
            if n % 2:
                set_external_id(
                    deal, by=user, external_id=f"SF-{tag}-{n}", expected_version=version
                )
            else:
                stage = ["proposal", "negotiation", "lost", "won"][n // 2]
                change_stage(
                    Deal.objects.get(pk=deal.pk),
                    stage,
                    by=user,
                    lost_reason="Race",
                    expected_version=version,
                )
            result = "ok"
        except ValidationError as exc:
            result = exc.error_list[0].code if hasattr(exc, "error_list") else str(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not on_postgres,
    reason="needs PostgreSQL: SQLite's in-memory test database is not shared between threads",
)
def test_concurrent_changes_from_one_version_succeed_once(alpha, alice):
    """Eight clients read the same version and each sends a change with it: one wins, seven
    are told the deal changed; none is lost silently."""
    for round_ in range(5):
        deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="qualified")

        outcomes = race_from_one_version(deal, alice, round_)

        assert Counter(outcomes) == {"ok": 1, "stale": 7}
        deal.refresh_from_db()
        changed = (deal.stage != "qualified") + (deal.external_id is not None)
        assert changed == 1
