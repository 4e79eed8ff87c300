"""Hand over events and e-mails a lost hand-off left behind (what beat runs every minute).

For installations without a broker (`make run`): from cron, it also retries failed sends.
"""

from django.core.management.base import BaseCommand

from notifications.activity import activity_context
from notifications.services import sweep


class Command(BaseCommand):
    help = "Re-enqueue (or, without a broker, deliver) events and e-mails whose hand-off was lost."

    @activity_context(via="command")
    def handle(self, *args, **options):
        counts = sweep()
        self.stdout.write(
            f"events: {counts['events']}, e-mails: {counts['deliveries']}, freed: {counts['stale']}"
        )
