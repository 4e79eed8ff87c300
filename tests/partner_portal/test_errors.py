"""Error pages: the portal's layout, the reader's language, no stack trace; a server error
shows a reference that is logged with the exception; NUL in a query answers 400."""

import logging
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def reference_in(html: str) -> str:
    return re.search(r"data-error-reference>([0-9A-Za-z._:=+/-]{8,64})<", html).group(1)


@pytest.mark.urls("tests.partner_portal.urls_boom")
def test_server_error_page_has_a_logged_reference_and_no_trace(
    settings, caplog, django_assert_num_queries
):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with caplog.at_level(logging.ERROR, logger="django.request"):
        # The page reads nothing from the database: it renders when the database is down.
        with django_assert_num_queries(0):
            response = client.get("/boom/")

    html = response.content.decode()
    reference = reference_in(html)
    assert response.status_code == 500
    assert "Something went wrong" in html and "VNG Cloud · Partner Portal" in html
    assert "secret internals" not in html and "Traceback" not in html
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert reference in record.getMessage()
    assert record.exc_info[1].args == ("secret internals of the failure",)


@pytest.mark.urls("tests.partner_portal.urls_boom")
def test_server_error_page_speaks_vietnamese(settings):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

    html = client.get("/boom/").content.decode()

    assert "Đã có lỗi xảy ra" in html and "Something went wrong" not in html
    assert reference_in(html)


def test_not_found_page_in_the_layout(alice_client, beta_deal):
    response = alice_client.get(beta_deal.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and 'href="/customers/"' in html  # the partner's menu


def test_member_write_answers_403_with_the_message(client, sam, alpha, alice):
    from deals.services import change_stage
    from discounts.models import Discount

    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    change_stage(deal, "won", by=alice)
    client.force_login(sam)

    response = client.post(reverse("discount_customer_create", args=[deal.discount.pk]), {})

    assert response.status_code == 403
    assert "Only an admin of your organisation" in response.content.decode()
    assert Discount.objects.get().customer_discounts.count() == 0


def test_csrf_failure_gets_the_portal_page(alice, settings):
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(alice)

    response = client.post(reverse("deal_register"), {})

    assert response.status_code == 403
    assert "Reload the page and try again." in response.content.decode()


def admin_changelists():
    for model, model_admin in admin.site._registry.items():
        names = ["q", "o", "p", "e", "_changelist_filters"]
        for item in model_admin.list_filter:
            field = item[0] if isinstance(item, tuple) else item
            names.append(field.parameter_name if isinstance(field, type) else f"{field}__exact")
        if model_admin.date_hierarchy:
            names.append(f"{model_admin.date_hierarchy}__year")
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        yield url, names


@pytest.mark.parametrize(("url", "names"), list(admin_changelists()))
def test_admin_list_filters_with_a_nul_byte_answer_400(client, staff, url, names):
    client.force_login(staff)

    statuses = {name: client.get(url, {name: "a\x00b"}).status_code for name in names}

    assert statuses == dict.fromkeys(names, 400)
    assert client.get(url).status_code == 200


def test_nul_byte_page_is_the_bad_request_page(client, staff):
    client.force_login(staff)

    response = client.get("/admin/deals/deal/?status=%00")

    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


@pytest.mark.urls("tests.partner_portal.urls_boom")
def test_failed_dialog_request_gets_a_message_the_dialog_can_show(settings):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/boom/", HTTP_HX_REQUEST="true")

    # static/js/portal.js reads [data-error-message] out of the error page into the dialog.
    message = re.search(
        r"data-error-message[^>]*>(.*?)</div>\s*</div>", response.content.decode(), re.S
    )
    text = " ".join(re.sub(r"<[^>]+>", " ", message.group(1)).split())
    assert response.status_code == 500
    assert text.startswith("The portal could not finish this request.")
    assert text.endswith(f"Reference: {reference_in(response.content.decode())}")
