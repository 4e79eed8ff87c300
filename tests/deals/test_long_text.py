"""A long text is never cut short by the browser: over the limit is an error on the field."""

import re

import pytest
from django.urls import reverse

from deals.models import Note

pytestmark = pytest.mark.django_db


def textareas(html: str) -> list[str]:
    return re.findall(r"<textarea[^>]*>", html)


@pytest.mark.parametrize("form", ["note", "stage", "register"])
def test_long_text_fields_carry_no_maxlength(alice_client, alpha_deal, form):
    """maxlength makes Chromium cut a pasted 6,000-character note to 5,000 without a word."""
    url = {
        "note": reverse("deal_note_add", args=[alpha_deal.pk]),
        "stage": reverse("deal_stage", args=[alpha_deal.pk]),
        "register": reverse("deal_register"),
    }[form]

    html = alice_client.get(url).content.decode()

    assert textareas(html), "the form has a text area"
    assert [tag for tag in textareas(html) if "maxlength" in tag] == []
    assert 'name="lost_reason_text"' not in html or "maxlength" not in html


def test_long_text_a_6000_character_note_is_refused_whole(alice_client, alpha_deal):
    text = ("Khách hàng cần thêm thời gian. " * 200)[:6000]

    response = alice_client.post(
        reverse("deal_note_add", args=[alpha_deal.pk]), {"text": text}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200  # the dialog shows the errors in place
    assert "A note has at most 5,000 characters; this one has 6,000." in html
    assert text.replace("\n", "") in html
    assert Note.objects.count() == 0
