"""The portal's own scheduled task: the worker's heartbeat."""

import time

from celery import shared_task
from django.core.cache import cache

from partner_portal.health import HEARTBEAT_KEY


@shared_task(name="partner_portal.tasks.heartbeat", ignore_result=True)
def heartbeat() -> float:
    """Beat schedules it, a worker runs it: the timestamp in the shared cache says both are
    alive (read by `/readyz?worker=1` and `manage.py check_worker`)."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now
