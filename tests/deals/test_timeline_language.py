"""The portal's own timeline text is stored as codes and shown in the reader's language,
whoever caused it; what people wrote is shown as written."""

import importlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone, translation

from deals import services
from deals.models import StageChange
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

VIETNAMESE_LETTERS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)
ENGLISH_TEXTS = [
    "Registered",
    "Another partner",
    "Changed:",
    "title",
    "discount rates",
    "Protection extended",
    "Review",
    "Pending review",
    "Action required",
    "Approved",
    "Stage",
    "Prospect",
    "Proposal",
]


def timeline_html(client, deal, language):
    client.cookies["django_language"] = language
    html = client.get(deal.get_absolute_url()).content.decode()
    return re.search(r'<div id="timeline">(.*?)</div>\s*</div>\s*</div>', html, re.S).group(1)


@pytest.fixture
def history(alpha, alice, staff, beta, bob, vserver):
    """A deal whose history was written by a Vietnamese partner and an English reviewer."""
    # Names in plain ASCII: a person's name is shown as written, in either language.
    for user, name in ((alice, "Alice"), (staff, "Sam")):
        user.first_name, user.last_name = name, "Tran"
        user.save(update_fields=["first_name", "last_name"])
    # Another partner's protected claim on the customer: the registration says so.
    other = DealFactory(partner=beta, created_by=bob, approved=True, title="Other claim")
    with translation.override("vi"):
        deal = services.register_deal(
            partner=alpha,
            by=alice,
            customer_tax_code=other.customer.tax_code,
            customer_name="",
            title="ERP move",
            estimated_value=Decimal("1000"),
            expected_close_date=timezone.localdate() + timedelta(days=30),
            rates={vserver: Decimal("10")},
        )
    with translation.override("en"):
        services.send_back_deal(deal, by=staff, comment="PO 4711?")
    with translation.override("vi"):
        services.resubmit_deal(deal, by=alice, title="ERP move 2", rates={vserver: Decimal("9")})
    with translation.override("en"):
        services.approve_deal(deal, by=staff)
    with translation.override("vi"):
        services.extend_protection(deal, by=staff, until=timezone.localdate() + timedelta(days=200))
        services.change_stage(deal, "proposal", by=alice)
    return deal


def test_timeline_in_english_has_no_vietnamese_and_in_vietnamese_no_english(alice_client, history):
    english = timeline_html(alice_client, history, "en")
    vietnamese = timeline_html(alice_client, history, "vi")

    assert VIETNAMESE_LETTERS.findall(english) == []
    assert [text for text in ENGLISH_TEXTS if text not in english] == []
    assert [text for text in ENGLISH_TEXTS if text in vietnamese] == []
    assert "Đã đăng ký" in vietnamese and "PO 4711?" in vietnamese and "PO 4711?" in english


def test_system_notes_are_codes_and_parameters(history):
    notes = {
        change.system_code: change.system_params
        for change in StageChange.objects.filter(deal=history).exclude(system_code="")
    }

    assert notes == {
        "registered_conflict": {},
        "changed": {"fields": ["title", "rates"]},
        "protection_extended": {"date": (timezone.localdate() + timedelta(days=200)).isoformat()},
    }


def convert():
    migration = importlib.import_module("deals.migrations.0005_timeline_notes_to_codes")
    migration.notes_to_codes(apps, None)


def test_migration_turns_stored_texts_of_both_languages_into_codes(alpha_deal, alice):
    with translation.override("vi"):
        # As the texts were written then, with the long date's "Ngày" capitalised.
        until_vi = translation.gettext("Protection extended until %(date)s.") % {
            "date": "Ngày 31 tháng 12 năm 2026"
        }
        changed_vi = translation.gettext("Changed: %(fields)s.") % {
            "fields": ", ".join(
                [translation.gettext("title"), translation.gettext("discount rates")]
            )
        }
        registered_vi = translation.gettext("Registered")
    rows = {
        text: StageChange.objects.create(deal=alpha_deal, to_stage="prospect", by=alice, note=text)
        for text in [
            registered_vi,
            "Registered. Another partner holds a protected claim on this customer.",
            f"Please check the rate\n{changed_vi}",
            "Changed: estimated value (VND), expected close date.",
            until_vi,
            "Protection extended until Dec. 31, 2026.",
            "Registered by phone",  # a person's own words: left alone
        ]
    }

    convert()

    stored = {}
    for text, row in rows.items():
        row.refresh_from_db()
        stored[text] = (row.system_code, row.system_params, row.note)
    assert list(stored.values()) == [
        ("registered", {}, ""),
        ("registered_conflict", {}, ""),
        ("changed", {"fields": ["title", "rates"]}, "Please check the rate"),
        ("changed", {"fields": ["estimated_value", "expected_close_date"]}, ""),
        ("protection_extended", {"date": "2026-12-31"}, ""),
        ("protection_extended", {"date": "2026-12-31"}, ""),
        ("", {}, "Registered by phone"),
    ]


def test_an_entry_that_moves_no_stage_shows_no_stage_arrow(alice_client, history):
    # Protection extended (Prospect to Prospect) reads as the deal's entry with its note, not
    # as a move "Prospect → Prospect"; the stage move after it keeps its arrow.
    english = timeline_html(alice_client, history, "en")

    assert "Prospect → Prospect" not in english
    assert "Prospect → Proposal" in english
    entry = r"<strong>Deal</strong>(?:(?!timeline-entry).)*Protection extended until"
    assert re.search(entry, english, re.S)
