from django.core.management.base import BaseCommand

from partners.services import sync_customer_owners


class Command(BaseCommand):
    help = (
        "Set each customer's owner from its active ownership where they differ (after a bulk "
        "load, and once after deploying the version that added Customer.owner)."
    )

    def handle(self, *args, **options):
        changed = sync_customer_owners()
        self.stdout.write(f"Customers whose owner was corrected: {changed}.")
