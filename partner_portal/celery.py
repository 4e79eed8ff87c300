"""The Celery app: `celery -A partner_portal worker` and `celery -A partner_portal beat`.

Configuration comes from Django settings (the CELERY_* names); the broker is
CELERY_BROKER_URL, or REDIS_URL when that is not set.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")

app = Celery("partner_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
