"""Write the due "review overdue" events (what beat runs every 15 minutes).

For installations without beat: run it hourly from cron. `--today YYYY-MM-DD` catches up a
day.
"""

from datetime import date

from django.core.management.base import BaseCommand

from deals.services import review_overdue_events


class Command(BaseCommand):
    help = "Tell the reviewers of registrations past the review promise (once per submission)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args, today=None, **options):
        self.stdout.write(f"overdue: {review_overdue_events(today=today)}")
