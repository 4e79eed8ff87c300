"""Demo data: two partners, their contracts, users, customers and ~40 deals in every state.

Idempotent: running it again changes nothing that is already there (it only resets the demo
passwords). Every deal goes through the same services a partner and a reviewer use, so the
data obeys the rules: won deals have their discount and ownership, lost ones have a reason.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.services import add_member
from deals import services
from deals.models import Deal, Product
from discounts.contracts import create_contract
from discounts.models import Discount
from discounts.services import create_customer_discount
from notifications.activity import activity_context
from notifications.services import mark_all_read
from partners.models import Contract, Membership, Partner, User
from partners.services import get_or_create_customer

PASSWORD = "portal-demo"
DEMO_EMAILS = (
    "alpha@example.com",
    "alpha.sales@example.com",
    "beta@example.com",
    "staff@example.com",
)
UNREAD_IN_THE_MORNING = 4
S = Deal.Stage
R = Deal.Status

PRODUCTS = [
    ("vserver", "vServer", "Cloud virtual machines", "vServer", "Máy chủ ảo trên đám mây"),
    (
        "vstorage",
        "vStorage",
        "S3-compatible object storage",
        "vStorage",
        "Lưu trữ đối tượng tương thích S3",
    ),
    ("vdb", "vDB", "Managed relational databases", "vDB", "Cơ sở dữ liệu quan hệ được quản lý"),
    (
        "vks",
        "Kubernetes (VKS)",
        "Managed Kubernetes",
        "Kubernetes (VKS)",
        "Kubernetes được quản lý",
    ),
    ("cdn", "CDN", "Content delivery network", "CDN", "Mạng phân phối nội dung"),
    ("vmonitor", "vMonitor", "Monitoring and alerting", "vMonitor", "Giám sát và cảnh báo"),
]

CUSTOMERS = [
    ("0301234567", "Công ty TNHH Thương mại Sài Gòn Xanh"),
    ("0302345678", "Công ty CP Công nghệ Hà Nội Số"),
    ("0303456789", "Công ty CP Bán lẻ Phương Nam"),
    ("0304567890", "Ngân hàng TMCP Đông Á Số"),
    ("0305678901", "Công ty TNHH Logistics Mekong"),
    ("0306789012", "Công ty CP Giáo dục Trí Việt"),
    ("0307890123", "Bệnh viện Đa khoa An Khang"),
    ("0308901234", "Công ty CP Thực phẩm Bình Minh"),
    ("0309012345", "Công ty TNHH Du lịch Biển Xanh"),
    ("0310123456", "Công ty CP Truyền thông VietMedia"),
    ("0311234567", "Công ty TNHH Sản xuất Đại Phát"),
    ("0312345670", "Công ty CP Bảo hiểm Minh An"),
    ("0313456781", "Công ty CP Game Thế Giới Mới"),
    ("0314567892", "Công ty TNHH Nông nghiệp Cao Nguyên"),
    ("0315678903", "Công ty CP Bất động sản Hoàng Gia"),
    ("0316789014", "Công ty CP Fintech Ví Việt"),
    ("0317890125", "Công ty CP Vận tải Bắc Nam"),
    ("0318901236", "Trường Đại học Công nghệ Sao Mai"),
    ("0319012347", "Công ty TNHH Thời trang Lụa Việt"),
    ("0320123458", "Công ty CP Dược phẩm Thiên Y"),
    ("0321234569", "Công ty CP Năng lượng Mặt Trời Việt"),
    ("0322345670", "Công ty TNHH Phần mềm Sông Hồng"),
    ("0301234567-001", "Công ty TNHH Thương mại Sài Gòn Xanh - Chi nhánh Hà Nội"),
]

# (title, customer index, review status, stage, [(product code, rate)])
ALPHA_DEALS = [
    (
        "Chuyển đổi hạ tầng lên vServer",
        0,
        R.APPROVED,
        S.NEGOTIATION,
        [("vserver", "12"), ("vstorage", "8")],
    ),
    ("Lưu trữ dữ liệu camera", 1, R.APPROVED, S.PROPOSAL, [("vstorage", "10")]),
    ("Nền tảng thương mại điện tử", 2, R.APPROVED, S.QUALIFIED, [("vks", "15"), ("cdn", "10")]),
    ("Core banking DR site", 3, R.APPROVED, S.NEGOTIATION, [("vserver", "18"), ("vdb", "15")]),
    ("Hệ thống quản lý kho", 4, R.APPROVED, S.PROSPECT, [("vdb", "10")]),
    ("E-learning mùa tuyển sinh", 5, R.APPROVED, S.PROPOSAL, [("cdn", "12"), ("vserver", "10")]),
    ("Hồ sơ bệnh án điện tử", 6, R.APPROVED, S.WON, [("vdb", "12"), ("vstorage", "10")]),
    ("Website và CDN khuyến mãi Tết", 7, R.APPROVED, S.WON, [("cdn", "15")]),
    ("Ứng dụng đặt tour", 8, R.APPROVED, S.LOST, [("vks", "10")]),
    ("Nền tảng video theo yêu cầu", 9, R.APPROVED, S.LOST, [("cdn", "18"), ("vstorage", "12")]),
    ("Giám sát dây chuyền sản xuất", 10, R.PENDING, S.PROSPECT, [("vmonitor", "10")]),
    ("Cổng thông tin khách hàng bảo hiểm", 11, R.PENDING, S.PROSPECT, [("vserver", "8")]),
    (
        "Máy chủ game mùa giải mới",
        12,
        R.ACTION_REQUIRED,
        S.PROSPECT,
        [("vserver", "20"), ("cdn", "15")],
    ),
    ("Phân tích dữ liệu nông nghiệp", 13, R.REJECTED, S.PROSPECT, [("vdb", "10")]),
    ("Ứng dụng bất động sản", 14, R.APPROVED, S.QUALIFIED, [("vks", "10")]),
    (
        "Ví điện tử: cụm Kubernetes",
        15,
        R.APPROVED,
        S.NEGOTIATION,
        [("vks", "16"), ("vmonitor", "10")],
    ),
    ("Quản lý đội xe", 16, R.APPROVED, S.PROSPECT, [("vserver", "10")]),
    ("Hệ thống đào tạo trực tuyến", 17, R.PENDING, S.PROSPECT, [("cdn", "10")]),
    ("Chi nhánh Hà Nội: sao lưu", 22, R.APPROVED, S.PROPOSAL, [("vstorage", "9")]),
    ("Website bán hàng thời trang", 18, R.APPROVED, S.WON, [("cdn", "10"), ("vserver", "8")]),
]
BETA_DEALS = [
    ("Hạ tầng ERP dược phẩm", 19, R.APPROVED, S.NEGOTIATION, [("vserver", "10"), ("vdb", "10")]),
    ("Giám sát trang trại điện mặt trời", 20, R.APPROVED, S.PROPOSAL, [("vmonitor", "12")]),
    ("Phần mềm kế toán SaaS", 21, R.APPROVED, S.QUALIFIED, [("vks", "12")]),
    ("Sao lưu dữ liệu bệnh viện", 6, R.APPROVED, S.PROSPECT, [("vstorage", "10")]),
    ("Streaming sự kiện thể thao", 9, R.APPROVED, S.NEGOTIATION, [("cdn", "14")]),
    ("Di chuyển cơ sở dữ liệu", 3, R.APPROVED, S.PROPOSAL, [("vdb", "12")]),
    ("Cổng thanh toán", 15, R.APPROVED, S.WON, [("vserver", "12"), ("vmonitor", "8")]),
    ("Hệ thống CRM vận tải", 16, R.APPROVED, S.LOST, [("vserver", "9")]),
    ("Dữ liệu lớn bán lẻ", 2, R.PENDING, S.PROSPECT, [("vdb", "10"), ("vstorage", "8")]),
    ("Ứng dụng di động du lịch", 8, R.PENDING, S.PROSPECT, [("vks", "10")]),
    ("Kho dữ liệu ngân hàng", 3, R.ACTION_REQUIRED, S.PROSPECT, [("vdb", "15")]),
    ("Thử nghiệm AI nông nghiệp", 13, R.REJECTED, S.PROSPECT, [("vserver", "10")]),
    ("Triển khai CDN game", 12, R.APPROVED, S.QUALIFIED, [("cdn", "12")]),
    ("Lưu trữ hồ sơ sinh viên", 17, R.APPROVED, S.PROSPECT, [("vstorage", "10")]),
    ("Nền tảng IoT nhà máy", 10, R.APPROVED, S.WON, [("vks", "12"), ("vmonitor", "10")]),
    ("Hệ thống vé điện tử", 4, R.APPROVED, S.QUALIFIED, [("vserver", "8")]),
    ("Website bảo hiểm số", 11, R.APPROVED, S.LOST, [("cdn", "10")]),
    ("Máy chủ ứng dụng nội bộ", 14, R.APPROVED, S.PROPOSAL, [("vserver", "10")]),
    ("Lưu trữ ảnh sản phẩm", 18, R.APPROVED, S.NEGOTIATION, [("vstorage", "12")]),
    ("Cụm Kubernetes đa vùng", 21, R.PENDING, S.PROSPECT, [("vks", "14")]),
]
PATH = [S.PROSPECT, S.QUALIFIED, S.PROPOSAL, S.NEGOTIATION]


class Command(BaseCommand):
    help = "Load idempotent demo data (partners, users, products, customers, deals)."

    @activity_context(via="command")
    def handle(self, *args, **options):
        with transaction.atomic():
            staff = self._user(
                "staff@example.com", "Nhân viên VNG", is_staff=True, is_superuser=True
            )
            # The demo reviewer hears of registrations and conflicts (bell and e-mail).
            reviewers, _created = Group.objects.get_or_create(
                name=settings.NOTIFICATION_REVIEWERS_GROUP
            )
            staff.groups.add(reviewers)
            products = self._products()
            customers = self._customers()
            today = timezone.localdate()
            alpha = self._partner(
                "Alpha Cloud Solutions", "0101111111", "ALPHA-HD-2026", Decimal("20"), today, staff
            )
            beta = self._partner(
                "Beta Integration JSC", "0102222222", "BETA-HD-2026", Decimal("15"), today, staff
            )
            alpha_admin = self._member(
                alpha, "alpha@example.com", "Nguyễn Văn An", Membership.Role.ADMIN, staff
            )
            self._member(
                alpha, "alpha.sales@example.com", "Trần Thị Bình", Membership.Role.MEMBER, staff
            )
            beta_admin = self._member(
                beta, "beta@example.com", "Lê Hoàng Cường", Membership.Role.ADMIN, staff
            )
        # Demo history is not news: nobody is e-mailed about the seeded wins and losses.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created = self._deals(alpha, alpha_admin, staff, ALPHA_DEALS, products, customers)
            created += self._deals(beta, beta_admin, staff, BETA_DEALS, products, customers)
            self._customer_discounts(alpha, alpha_admin)
        # A partner's morning, not a flood: the history above is old news, read; the newest
        # few of each person's notifications wait under the bell.
        for user in User.objects.filter(email__in=DEMO_EMAILS):
            mark_all_read(user=user, except_newest=UNREAD_IN_THE_MORNING)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new deals)."))
        self.stdout.write(f"Demo logins (password: {PASSWORD}):")
        for email, what in (
            ("alpha@example.com", "Alpha Cloud Solutions, admin"),
            ("alpha.sales@example.com", "Alpha Cloud Solutions, member"),
            ("beta@example.com", "Beta Integration JSC, admin"),
            ("staff@example.com", "VNG Cloud staff, Django admin at /admin/"),
        ):
            self.stdout.write(f"  {email:<26} {what}")

    def _user(self, email, name, **flags):
        family, _sep, given = name.rpartition(" ")
        user, _created = User.objects.get_or_create(
            email=email, defaults={"first_name": given, "last_name": family, **flags}
        )
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        return user

    def _member(self, partner, email, name, role, staff):
        user = self._user(email, name)
        if not Membership.objects.filter(user=user).exists():
            add_member(partner=partner, user=user, role=role, by=staff)
        return user

    def _partner(self, name, tax_code, contract_no, max_rate, today, staff):
        partner, _created = Partner.objects.get_or_create(
            tax_code=tax_code, sandbox_of=None, defaults={"name": name}
        )
        if not Contract.objects.filter(number=contract_no).exists():
            create_contract(
                partner=partner,
                by=staff,
                number=contract_no,
                start_date=today - timedelta(days=365),
                end_date=today + timedelta(days=730),
                max_discount_rate=max_rate,
                discount_validity_days=365,
            )
        return partner

    def _products(self):
        products = {}
        for code, name, description, name_vi, description_vi in PRODUCTS:
            products[code], _created = Product.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "description": description,
                    "name_vi": name_vi,
                    "description_vi": description_vi,
                },
            )
        return products

    def _customers(self):
        return [get_or_create_customer(tax_code=t, name=n) for t, n in CUSTOMERS]

    def _deals(self, partner, user, staff, specs, products, customers):
        created = 0
        today = timezone.localdate()
        for i, (title, cust, status, stage, rates) in enumerate(specs):
            if Deal.objects.filter(partner=partner, title=title).exists():
                continue
            customer = customers[cust]
            deal = services.register_deal(
                partner=partner,
                by=user,
                customer_tax_code=customer.tax_code,
                customer_name=customer.name,
                title=title,
                description=f"Khách hàng {customer.name} cần giải pháp đám mây.",
                estimated_value=Decimal(150_000_000 + 37_500_000 * i),
                expected_close_date=today + timedelta(days=15 + 7 * i),
                rates={products[code]: Decimal(rate) for code, rate in rates},
            )
            self._review(deal, staff, status)
            self._move(deal, user, stage)
            created += 1
        return created

    def _customer_discounts(self, partner, admin):
        """Alpha passes part of its first two discounts on to the customers, as partners do."""
        for discount in Discount.objects.filter(partner=partner).order_by("pk")[:2]:
            if discount.customer_discounts.exists():
                continue
            create_customer_discount(
                discount,
                by=admin,
                customer=discount.customer,
                rates={line.product: line.rate - Decimal("2") for line in discount.lines.all()},
                valid_from=discount.valid_from,
                valid_until=discount.valid_until,
                note="Ưu đãi năm đầu cho khách hàng.",
            )

    def _review(self, deal, staff, status):
        if status == R.APPROVED:
            services.approve_deal(deal, by=staff, comment="Đã kiểm tra, không trùng lặp.")
        elif status == R.ACTION_REQUIRED:
            services.send_back_deal(
                deal, by=staff, comment="Vui lòng bổ sung phạm vi dự án và giảm tỷ lệ chiết khấu."
            )
        elif status == R.REJECTED:
            services.reject_deal(
                deal, by=staff, reason="Khách hàng đã được đối tác khác đăng ký trước."
            )

    def _move(self, deal, user, stage):
        if stage == S.PROSPECT:
            return
        target = PATH.index(stage) if stage in PATH else len(PATH) - 1
        for step in PATH[1 : target + 1]:
            services.change_stage(deal, step, by=user)
        if stage == S.PROPOSAL or stage == S.NEGOTIATION:
            services.add_note(deal, by=user, text="Đã gửi BOM và báo giá cho khách hàng.")
        if stage == S.WON:
            services.change_stage(deal, S.WON, by=user, note="Khách hàng đã ký hợp đồng.")
        elif stage == S.LOST:
            services.change_stage(
                deal,
                S.LOST,
                by=user,
                lost_reason_code=Deal.LostReason.COMPETITOR,
                lost_reason="Khách hàng chọn nhà cung cấp khác vì giá.",
            )
