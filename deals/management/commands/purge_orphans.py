"""Delete stored objects that no attachment points at (see deals.files.storing).

Safe to run as often as liked (every few minutes from cron, or Celery beat): it only deletes
objects whose deletion is due, and a second run finds nothing left to do.
"""

from django.core.management.base import BaseCommand, CommandError

from deals.files.storing import purge_orphans
from notifications.activity import activity_context


class Command(BaseCommand):
    help = "Delete stored attachment objects left behind by failed changes (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=1000, help="at most this many objects per run"
        )

    @activity_context(via="command")
    def handle(self, *args, limit, **options):
        result = purge_orphans(limit=limit)
        self.stdout.write(
            f"deleted {result.deleted}, failed {result.failed}, already attached {result.kept}"
        )
        if result.failed:
            # A non-zero exit makes cron mail the operator; the rows stay for the next run.
            raise CommandError(
                f"{result.failed} objects could not be deleted; the next run retries"
            )
