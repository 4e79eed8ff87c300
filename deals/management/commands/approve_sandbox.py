"""Approve the sandboxes' registrations that waited SANDBOX_AUTO_APPROVE_SECONDS (what beat
runs every minute). For `make run` without a broker: run it by hand, or every minute from cron.
"""

from django.core.management.base import BaseCommand

from deals.services.sandbox import approve_due_sandbox_registrations
from notifications.activity import activity_context


class Command(BaseCommand):
    help = "Approve the sandbox registrations that are due (the system approves them)."

    @activity_context(via="command")
    def handle(self, *args, **options):
        self.stdout.write(f"approved: {approve_due_sandbox_registrations()}")
