"""The Celery app: `celery -A partner_portal worker` and `celery -A partner_portal beat`.

Configuration comes from Django settings (the CELERY_* names); the broker is
CELERY_BROKER_URL, or REDIS_URL when that is not set.
"""

import logging
import os

from celery import Celery, Task
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")


class ActivityTask(Task):
    """Every task's changes are logged as the worker's, with the id of the request that sent
    the task (django-guid's header), or the task's own id for one that beat scheduled."""

    def __call__(self, *args, **kwargs):
        from notifications.activity import activity_context

        request_id = self.request.get("X-Request-ID") or self.request.id or ""
        with activity_context(via="worker", request_id=str(request_id)[:64]):
            return super().__call__(*args, **kwargs)


app = Celery("partner_portal", task_cls=ActivityTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _portal_logging(loglevel=None, **kwargs):
    """The worker and beat log as the web does (settings.LOGGING: JSON in production, the
    request id on every line) instead of Celery's own set-up; `--loglevel` still sets Celery's
    own loggers ("celery@host ready."), LOG_LEVEL the rest."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)


# The task metrics' signal receivers, and the worker's metrics endpoint (WORKER_METRICS_PORT).
import partner_portal.worker_metrics  # noqa: E402, F401
