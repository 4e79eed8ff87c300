"""The Celery app: `celery -A partner_portal worker` and `celery -A partner_portal beat`.

Configuration comes from Django settings (the CELERY_* names); the broker is
CELERY_BROKER_URL, or REDIS_URL when that is not set.
"""

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")


class ActivityTask(Task):
    """Every task's changes are logged as the worker's, with the task's id as the request."""

    def __call__(self, *args, **kwargs):
        from notifications.activity import activity_context

        with activity_context(via="worker", request_id=str(self.request.id or "")[:64]):
            return super().__call__(*args, **kwargs)


app = Celery("partner_portal", task_cls=ActivityTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
