from django.core.management.base import BaseCommand

from api.services import purge_idempotency_keys
from notifications.activity import activity_context


class Command(BaseCommand):
    help = "Delete the API's idempotency keys older than 24 hours (run daily, e.g. from beat)."

    @activity_context(via="command")
    def handle(self, *args, **options):
        deleted = purge_idempotency_keys()
        self.stdout.write(f"{deleted} idempotency keys deleted.")
