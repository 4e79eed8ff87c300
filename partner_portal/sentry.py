"""Error reports to Sentry, only when `SENTRY_DSN` is set (called from settings).

Personal data stays out: `send_default_pii=False` (no user e-mail, address, cookies or
request bodies), and a report carries the user's id and the request id, the same as the log
lines, so a report leads to the request's logs.
"""

from django_guid import get_guid


def _with_request_id(event, hint):
    request_id = get_guid()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def configure(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start the Sentry client with the Django and Celery integrations; nothing without a
    DSN. Returns whether it started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_with_request_id,
    )
    return True
