from django.core.management.base import BaseCommand

from web.submissions import purge_submission_keys


class Command(BaseCommand):
    help = "Delete the portal forms' one-time submission keys older than 24 hours."

    def handle(self, *args, **options):
        deleted = purge_submission_keys()
        self.stdout.write(f"{deleted} submission keys deleted")
