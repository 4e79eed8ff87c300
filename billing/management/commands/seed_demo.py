"""seed_demo with the money loop: the deals' demo (deals/management/commands/seed_demo.py),
then credit, linked cloud accounts and top-ups in every state for the demo partners.

This command overrides the deals' one of the same name (billing is listed before deals in
INSTALLED_APPS): billing sits above deals and may use its demo, not the other way round.
Idempotent like the deals' part: what is there already is left alone.
"""

from decimal import Decimal

from django.db import transaction
from django.test.utils import override_settings

from billing.models import CloudAccount, CreditEntry
from billing.services.accounts import (
    approve_cloud_account,
    confirm_cloud_account,
    request_cloud_account,
    resend_confirmation,
)
from billing.services.credit import apply_top_up, fail_top_up, record_payment, top_up
from deals.management.commands.seed_demo import DEMO_EMAILS, UNREAD_IN_THE_MORNING
from deals.management.commands.seed_demo import Command as DealsDemo
from discounts.models import Discount
from notifications.activity import activity_context
from notifications.services import mark_all_read
from partners.models import Membership, Partner, User

# (partner, payment, [(account id or "" for a new account, name, how far, [top-ups])])
# how far: "linked" (confirmed and approved), "approval" (confirmed), "customer" (e-mailed).
# A top-up: (amount, "applied" | "pending" | "failed").
DEMO = {
    "Alpha Cloud Solutions": (
        Decimal(50_000_000),
        [
            ("vng-demo-a01", "", "linked", [(10_000_000, "applied"), (5_000_000, "pending"),
                                            (2_000_000, "failed")]),
            ("", "Website Tết", "approval", []),
            ("vng-demo-a03", "", "customer", []),
        ],
    ),
    "Beta Integration JSC": (
        Decimal(20_000_000),
        [("vng-demo-b01", "", "linked", [(3_000_000, "applied"), (1_500_000, "pending")])],
    ),
}  # fmt: skip


class Command(DealsDemo):
    help = "Load idempotent demo data (deals and the money loop: credit, cloud accounts)."

    @activity_context(via="command")
    def handle(self, *args, **options):
        super().handle(*args, **options)
        staff = User.objects.get(email="staff@example.com")
        # Demo history is not news: its e-mails go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for name, (payment, accounts) in DEMO.items():
                self._money(Partner.objects.get(name=name), payment, accounts, staff)
        for user in User.objects.filter(email__in=DEMO_EMAILS):
            mark_all_read(user=user, except_newest=UNREAD_IN_THE_MORNING)
        self.stdout.write(self.style.SUCCESS("Demo credit and cloud accounts ready."))

    def _money(self, partner, payment, accounts, staff):
        admin = (
            Membership.objects.filter(partner=partner, role=Membership.Role.ADMIN)
            .select_related("user")
            .order_by("pk")
            .first()
            .user
        )
        reference = f"DEMO-{partner.tax_code}"
        if not CreditEntry.objects.filter(partner=partner, reference=reference).exists():
            record_payment(
                partner=partner, amount=payment, reference=reference, by=staff,
                reason="Chuyển khoản thanh toán (demo)",
            )  # fmt: skip
        customers = [d.customer for d in Discount.objects.filter(partner=partner).order_by("pk")]
        for customer, spec in zip(customers, accounts, strict=False):
            if not CloudAccount.objects.filter(customer=customer).exists():
                self._account(partner, admin, staff, customer, *spec)

    @transaction.atomic
    def _account(self, partner, admin, staff, customer, account_id, name, how_far, top_ups):
        account = request_cloud_account(
            partner=partner,
            customer=customer,
            by=admin,
            kind=CloudAccount.Kind.EXISTING if account_id else CloudAccount.Kind.NEW,
            account_id=account_id,
            name=name,
            email=f"it@{customer.tax_code}.example.com",
            language="vi",
        )
        if how_far == "customer":
            return
        # The customer clicks a fresh link (the first one's token exists only in its e-mail).
        _confirmation, token = resend_confirmation(account, by=admin, language="vi")
        confirm_cloud_account(token=token)
        if how_far == "approval":
            return
        approve_cloud_account(account, by=staff, account_id=account_id)
        for amount, outcome in top_ups:
            made = top_up(account, partner=partner, amount=Decimal(amount), by=admin)
            if outcome == "applied":
                apply_top_up(made, by=staff, reference=f"DEMO-BILL-{made.pk}")
            elif outcome == "failed":
                fail_top_up(made, by=staff, reason="Tài khoản đang tạm khóa (demo)")
