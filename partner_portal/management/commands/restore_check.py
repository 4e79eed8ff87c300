"""`manage.py restore_check`: what a restore must bring back, as JSON, for the restore drill
(scripts/restore_drill.sh) and for a restore done for real.

Prints the counts of deals, discounts, attachments and events and the attachment files the
storage does not hold; exits 1 when a file is missing. `--add-attachments N` first stores a
small text file on each of the first N deals, through the service (the drill's demo data has
no files).
"""

import json

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from deals.models import Attachment, Deal
from deals.services.content import add_attachments
from discounts.models import Discount
from notifications.models import Event


class Command(BaseCommand):
    help = "Counts of deals, discounts, attachments and events, and missing attachment files."

    def add_arguments(self, parser):
        parser.add_argument("--add-attachments", type=int, default=0, metavar="N", dest="files")

    def handle(self, *args, files: int = 0, **options):
        for deal in Deal.objects.select_related("created_by").order_by("pk")[:files]:
            upload = ContentFile(b"restore drill\n", name="restore-drill.txt")
            add_attachments(deal, by=deal.created_by, files=[upload])
        missing = [
            name
            for name in Attachment.objects.order_by("pk").values_list("file", flat=True)
            if not default_storage.exists(name)
        ]
        report = {
            "deals": Deal.objects.count(),
            "discounts": Discount.objects.count(),
            "attachments": Attachment.objects.count(),
            "events": Event.objects.count(),
            "missing_files": missing,
        }
        self.stdout.write(json.dumps(report, sort_keys=True))
        if missing:
            raise CommandError(f"{len(missing)} attachment files missing from storage")
