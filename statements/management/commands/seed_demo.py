"""seed_demo with statements: billing's demo (deals, credit, cloud accounts), then a month of
consumption for the demo partners' linked accounts and their statement of last month, sent,
with an e-invoice on Alpha's.

This command overrides billing's one of the same name (statements is listed before billing in
INSTALLED_APPS). Idempotent: consumption is stored once per account, day and product, a
statement once per partner and month, and a sent one is left alone.
"""

from datetime import datetime, time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from billing.management.commands.seed_demo import Command as BillingDemo
from billing.models import CloudAccount, CloudAccountLink
from discounts.models import Discount, DiscountLine
from notifications.activity import activity_context
from partners.models import CustomerOwnership, User
from statements.models import Consumption, Statement
from statements.pdf import render_statement_pdf
from statements.services.consumption import record_consumption
from statements.services.drafting import draft_statement, month_end, previous_month
from statements.services.einvoices import record_einvoice
from statements.services.workflow import send_statement


class Command(BillingDemo):
    help = (
        "Load idempotent demo data (deals, the money loop's credit and cloud accounts, a month "
        "of consumption and a sent statement)."
    )

    @activity_context(via="command")
    def handle(self, *args, **options):
        super().handle(*args, **options)
        staff = User.objects.get(email="staff@example.com")
        month = previous_month()
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            accounts = CloudAccount.objects.filter(
                status=CloudAccount.Status.ACTIVE, account_id__startswith="vng-demo-"
            ).select_related("partner", "customer")
            for account in accounts:
                self._month(account, month, staff)
        self.stdout.write(self.style.SUCCESS("Demo consumption and statements ready."))

    @transaction.atomic
    def _month(self, account, month, staff):
        start = timezone.make_aware(datetime.combine(month, time.min))
        # Demo history: the customer has been the partner's, and its account linked, since
        # last month began (the demo's wins happen when it runs). Only a customer that never
        # had another partner is backdated.
        ownerships = CustomerOwnership.objects.filter(customer=account.customer)
        if ownerships.count() == 1:
            ownerships.filter(started_at__gt=start).update(started_at=start)
            CloudAccountLink.objects.filter(
                cloud_account=account, ended_at__isnull=True, started_at__gt=start
            ).update(started_at=start)
            Discount.objects.filter(
                partner=account.partner, customer=account.customer, valid_from__gt=month
            ).update(valid_from=month)
        since = (
            CloudAccountLink.objects.filter(cloud_account=account, ended_at__isnull=True)
            .values_list("started_at", flat=True)
            .first()
        ) or start
        products = list(
            DiscountLine.objects.filter(
                discount__partner=account.partner, discount__customer=account.customer
            )
            .values_list("product__code", flat=True)
            .distinct()
        )[:3]
        first_day = timezone.localdate(since)
        days = [
            month.replace(day=d)
            for d in range(1, month_end(month).day + 1)
            if month.replace(day=d) >= first_day
        ]
        if not Consumption.objects.filter(cloud_account=account, day__gte=month).exists():
            rows = [
                {
                    "account_id": account.account_id,
                    "day": day.isoformat(),
                    "product": code,
                    "amount": str(120_000 + 15_000 * ((day.day + index) % 7)),
                }
                for index, code in enumerate(products)
                for day in days
            ]
            if rows:
                record_consumption(rows, source=Consumption.Source.IMPORT, by=staff)
        if not Consumption.objects.filter(partner=account.partner, day__gte=month).exists():
            return
        statement, _created = draft_statement(account.partner, month)
        if statement.status == Statement.Status.DRAFT and statement.lines.exists():
            statement = send_statement(statement, by=staff)
        if statement.status != Statement.Status.DRAFT and not statement.einvoices.exists():
            pdf = render_statement_pdf(statement, language="vi")
            record_einvoice(
                statement=statement,
                by=staff,
                form="1",
                series=f"C{month:%y}TVN",
                number=f"{statement.pk:08d}",
                authority_code=f"M1-{month:%y}-DEMO-{statement.pk:011d}",
                buyer_tax_code=statement.partner.tax_code,
                issued_on=month_end(month),
                pdf=SimpleUploadedFile("hoa-don.pdf", pdf, "application/pdf"),
                xml=SimpleUploadedFile(
                    "hoa-don.xml",
                    (
                        '<?xml version="1.0" encoding="UTF-8"?><HDon><DLHDon><TTChung>'
                        f"<SHDon>{statement.pk}</SHDon><TgTTTBSo>{statement.total}</TgTTTBSo>"
                        "</TTChung></DLHDon></HDon>"
                    ).encode(),
                    "application/xml",
                ),
            )
