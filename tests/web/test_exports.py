"""Every CSV export speaks the reader's language: headers and values, in both languages.

The deal export is streamed: its rows are made after the view and the language middleware
have returned. The tests read each file while the *other* language is active, as a server
thread is after the request (Vietnamese, the default, for an English reader).
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from deals.models import Deal
from deals.services import change_stage
from discounts.services import create_customer_discount
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

OTHER = {"vi": "en", "en": "vi"}


def read_csv(client, url, lang) -> list[list[str]]:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(url)
    assert response.status_code == 200
    with translation.override(OTHER[lang]):
        if response.streaming:
            content = b"".join(response.streaming_content).decode("utf-8")
        else:
            content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def words(lang, *texts) -> list[str]:
    """The texts as the reader sees them: msgids through gettext, lazy labels as they are."""
    with translation.override(lang):
        return [translation.gettext(t) if isinstance(t, str) else str(t) for t in texts]


@pytest.fixture
def deals(alpha, alice, vserver):
    vserver.name_vi = "Máy chủ ảo vServer"
    vserver.save()
    pending = DealFactory(partner=alpha, created_by=alice, title="Đang chờ")
    won = DealFactory(
        partner=alpha,
        created_by=alice,
        approved=True,
        stage=Deal.Stage.NEGOTIATION,
        title="Đã thắng",
        rates={vserver: Decimal("10")},
    )
    change_stage(won, Deal.Stage.WON, by=alice)
    won.refresh_from_db()
    create_customer_discount(
        won.discount,
        by=alice,
        customer=won.customer,
        rates={vserver: Decimal("6")},
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    return pending, won


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_export_deals_in_the_readers_language(alice_client, deals, lang):
    pending, won = deals
    for url in (reverse("deal_export"), reverse("deal_export") + "?view=closed"):
        rows = read_csv(alice_client, url, lang)

        header = words(lang, "Title", "Customer", "Tax code", "Stage", "Review status")
        assert rows[0][:5] == header
        by_title = {row[0]: row for row in rows[1:]}
        if pending.title in by_title:
            assert by_title[pending.title][3:5] == words(
                lang, Deal.Stage.PROSPECT.label, Deal.Status.PENDING.label
            )
        assert by_title[won.title][3:5] == words(
            lang, Deal.Stage.WON.label, Deal.Status.APPROVED.label
        )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_export_discounts_in_the_readers_language(alice_client, deals, lang):
    rows = read_csv(alice_client, reverse("discount_export"), lang)

    assert rows[0][:4] == words(lang, "Deal", "Customer", "Tax code", "Products and rates")
    assert rows[0][6] == words(lang, "Status")[0]
    product = "Máy chủ ảo vServer" if lang == "vi" else "vServer"
    assert rows[1][3] == f"{product} 10.00%"
    assert rows[1][6] == words(lang, "Active")[0]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_export_customers_in_the_readers_language(alice_client, deals, lang):
    rows = read_csv(alice_client, reverse("customer_export"), lang)

    assert rows[0] == words(
        lang, "Name", "Tax code", "Customer since", "From deal", "Active customer discounts"
    )
    product = "Máy chủ ảo vServer" if lang == "vi" else "vServer"
    assert f"{product} 6.00%" in rows[1][4]
