"""Logs that follow a request: the request id in the response, on every line, on the events it
caused and in the tasks it sent; one access line per request; JSON in production."""

import io
import json
import logging
import re

import pytest
from celery import current_app, shared_task
from celery.app.trace import build_tracer
from django_guid import get_guid
from pythonjsonlogger.json import JsonFormatter

from notifications.activity import record_activity
from notifications.models import Activity, Event
from partner_portal.logs import RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(settings):
    """What the console handler writes, as the production JSON formatter renders it."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    spec = settings.LOGGING["formatters"]["json"]
    stream = io.StringIO()
    old_stream, old_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(
        JsonFormatter(
            spec["format"],
            rename_fields=spec["rename_fields"],
            reserved_attrs=spec["reserved_attrs"],
        )
    )
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def test_a_request_id_from_the_balancer_is_echoed(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="lb-1234abcd")
    assert response["X-Request-ID"] == "lb-1234abcd"


def test_a_request_without_an_id_gets_one(client):
    first, second = client.get("/login/"), client.get("/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("sent", ["a\nfake log line", "x" * 65, "<script>"])
def test_a_request_id_that_is_no_plain_token_is_replaced(client, sent):
    response = client.get("/login/", HTTP_X_REQUEST_ID=sent)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_access_line_names_request_user_partner_view_and_time(
    alice_client, alice, alpha, console
):
    response = alice_client.get("/deals/", HTTP_X_REQUEST_ID="req-access-1")

    [line] = [line for line in console() if line["logger"] == "portal.access"]
    assert response.status_code == 200
    assert line["message"].startswith("GET /deals/ 200 ")
    assert (line["level"], line["request_id"], line["user_id"], line["partner_id"]) == (
        "INFO",
        "req-access-1",
        alice.pk,
        alpha.pk,
    )
    assert (line["view"], line["method"], line["path"], line["status"]) == (
        "deal_list",
        "GET",
        "/deals/",
        200,
    )
    assert line["duration_ms"] > 0
    assert "alice@alpha.test" not in json.dumps(console())


def test_the_access_line_hides_a_secret_in_the_address(client, console):
    client.get("/accounts/invitation/s3cr3t-token-value/")

    [line] = [line for line in console() if line["logger"] == "portal.access"]
    assert line["path"] == "/accounts/invitation/<str:token>/"
    assert "s3cr3t" not in json.dumps(console())


def test_probes_are_not_logged_at_info(client, console):
    client.get("/healthz")
    assert [line for line in console() if line["logger"] == "portal.access"] == []


def test_the_500_reference_is_the_request_id(settings):
    from django.test import Client

    settings.ROOT_URLCONF = "tests.partner_portal.urls_boom"
    client = Client(raise_request_exception=False)

    response = client.get("/boom/", HTTP_X_REQUEST_ID="req-boom-42")

    assert response.status_code == 500
    assert "data-error-reference>req-boom-42<" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_win_is_followed_from_the_click_to_the_email(
    alice_client, alpha_deal, console, mailoutbox
):
    """Without a broker the e-mail goes out in the request after commit: every line of it,
    the events and the activity entry carry the click's request id."""
    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/stage/",
        {"stage": "won", "confirm_close": "on", "kind": "other"},
        HTTP_X_REQUEST_ID="req-win-7",
    )

    assert response.status_code == 302
    kinds = set(Event.objects.filter(request_id="req-win-7").values_list("kind", flat=True))
    assert {"deal_won", "discount_issued"} <= kinds
    assert Event.objects.exclude(request_id="req-win-7").count() == 0
    assert Activity.objects.filter(request_id="req-win-7").exists()
    assert mailoutbox
    sent = [line for line in console() if "e-mail delivery" in line["message"]]
    assert sent and {line["request_id"] for line in sent} == {"req-win-7"}
    assert {line["user_id"] for line in sent} == {alpha_deal.created_by_id}


@shared_task(name="tests.logs.which_request")
def _which_request():
    return get_guid()


def test_a_task_carries_the_request_id_it_was_sent_with():
    published = {}

    def keep(headers=None, **kwargs):
        published.update(headers)

    from celery.signals import before_task_publish

    before_task_publish.connect(keep)
    try:
        from django_guid import set_guid

        set_guid("req-task-9")
        with current_app.connection_for_write("memory://") as connection:
            _which_request.apply_async(connection=connection)
    finally:
        before_task_publish.disconnect(keep)
        set_guid(None)

    assert published["X-Request-ID"] == "req-task-9"


def _run_as_worker(task, headers: dict):
    """Run a task as the worker does: a message's headers are top-level in its request
    (eager `apply` puts them elsewhere)."""
    tracer = build_tracer(task.name, task, eager=True, propagate=True, app=current_app)
    request = {"id": "task-1", "is_eager": True, "delivery_info": {"is_eager": True}, **headers}
    return tracer("task-1", [], {}, request).retval


def test_a_task_runs_under_the_request_id_it_was_sent_with():
    assert _run_as_worker(_which_request, {"X-Request-ID": "req-task-9"}) == "req-task-9"


@shared_task(name="tests.logs.record")
def _record():
    record_activity(action="test.task")


def test_a_task_records_activity_under_the_request_id_it_was_sent_with():
    _run_as_worker(_record, {"X-Request-ID": "req-task-10"})
    assert Activity.objects.values_list("via", "request_id").get() == ("worker", "req-task-10")


def test_lines_outside_a_request_have_empty_ids():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    RequestContextFilter().filter(record)
    assert (record.request_id, record.user_id, record.partner_id, record.view) == (
        None,
        None,
        None,
        None,
    )
