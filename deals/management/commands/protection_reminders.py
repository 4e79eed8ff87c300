"""Write the due "protection expiring" / "expired" events (what beat runs every hour).

For installations without beat: run it daily from cron. `--today YYYY-MM-DD` catches up a day.
"""

from datetime import date

from django.core.management.base import BaseCommand

from deals.services import protection_reminders
from notifications.activity import activity_context


class Command(BaseCommand):
    help = "Write the protection reminders that are due (once per deal and date)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    @activity_context(via="command")
    def handle(self, *args, today=None, **options):
        counts = protection_reminders(today=today)
        self.stdout.write(f"expiring: {counts['expiring']}, expired: {counts['expired']}")
