"""`manage.py check_worker`: exit 1 unless a worker ran the beat's heartbeat lately.

For a monitor or the beat/worker's liveness probe; `celery -A partner_portal inspect ping`
asks the workers directly instead (docs/operations.md, Health checks).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from partner_portal.health import HEARTBEAT_KEY


class Command(BaseCommand):
    help = "Exit non-zero unless a Celery worker ran the heartbeat task lately."

    def handle(self, *args, **options):
        beat = cache.get(HEARTBEAT_KEY)
        if beat is None:
            raise CommandError("no heartbeat: is beat running, and a worker consuming?")
        age = time.time() - beat
        if age >= settings.WORKER_HEARTBEAT_MAX_AGE:
            raise CommandError(f"last heartbeat {age:.0f} s ago")
        self.stdout.write(f"worker alive: last heartbeat {age:.0f} s ago")
