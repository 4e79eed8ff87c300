from django.core.management.base import BaseCommand

from deals import counters
from discounts import counters as discount_counters


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's deal counters and the reports' discount counters "
        "(after a bulk load, a repair, or a deploy from a release that did not keep them)."
    )

    def handle(self, *args, **options):
        rows = counters.rebuild()
        self.stdout.write(f"Rebuilt {rows} deal counter rows.")
        rows = discount_counters.rebuild()
        self.stdout.write(f"Rebuilt {rows} discount counter rows.")
