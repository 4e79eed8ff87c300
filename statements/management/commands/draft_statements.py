"""Draft the previous month's statements (the beat job's work), for installations without
beat or to catch up a month: `manage.py draft_statements [--month 2026-10]`."""

from datetime import date

from django.core.management.base import BaseCommand

from notifications.activity import activity_context
from statements.services.drafting import draft_statements


class Command(BaseCommand):
    help = "Draft each partner's statement of a month (default: the previous one), once."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: the previous month)")

    @activity_context(via="command")
    def handle(self, *args, month=None, **options):
        made = draft_statements(date.fromisoformat(f"{month}-01") if month else None)
        self.stdout.write(f"{made} statement(s) drafted.")
