from django.core.management.base import BaseCommand

from deals import counters


class Command(BaseCommand):
    help = "Recompute the dashboard's deal counters from the deals (after a bulk load or repair)."

    def handle(self, *args, **options):
        rows = counters.rebuild()
        self.stdout.write(f"Rebuilt {rows} deal counter rows.")
