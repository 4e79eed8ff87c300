"""factory-boy factories for the test personas and their data (Vietnamese fake names)."""

import itertools
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from deals import counters
from deals.models import Deal, DiscountRule, Product
from partners.models import Contract, Customer, Membership, Partner, User

_tax = itertools.count(1_000_000)

# A one-page PDF's objects: the catalog (1), the page tree (2), the page (3).
PDF_CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"
PDF_PAGES = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PDF_PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def pdf_file(*objects: str) -> bytes:
    """A real PDF built from its objects' text (object 1 is the catalog), with the cross-
    reference table a reader needs. Without objects: an empty one-page document."""
    objects = objects or (PDF_CATALOG, PDF_PAGES, PDF_PAGE)
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


PDF = pdf_file()


def tax_code():
    return f"03{next(_tax):08d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name", locale="vi_VN")
    last_name = factory.Faker("last_name", locale="vi_VN")
    password = factory.django.Password("test-password")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    tax_code = factory.LazyFunction(tax_code)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    partner = factory.SubFactory(PartnerFactory)
    number = factory.Sequence(lambda n: f"HD-{n:04d}")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    max_discount_rate = Decimal("20")
    discount_validity_days = 180


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Membership.Role.ADMIN


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("company", locale="vi_VN")
    tax_code = factory.LazyFunction(tax_code)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")


class DealFactory(factory.django.DjangoModelFactory):
    """A deal as it is after registration; use the `approved` trait for an approved one."""

    class Meta:
        model = Deal
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")
    estimated_value = Decimal("100000000")
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    created_by = factory.SubFactory(UserFactory)
    stage = Deal.Stage.PROSPECT
    probability = factory.LazyAttribute(lambda deal: Deal.PROBABILITY[deal.stage])

    class Params:
        approved = factory.Trait(
            status=Deal.Status.APPROVED,
            protected_until=factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90)),
        )

    @factory.post_generation
    def rates(self, create, extracted, **kwargs):
        """rates={product: Decimal} or default: one product at 10 %."""
        if not create:
            return
        rates = (
            extracted
            if extracted is not None
            else {ProductFactory(code="vserver", name="vServer"): Decimal("10")}
        )
        for product, rate in rates.items():
            DiscountRule.objects.create(deal=self, product=product, rate=rate)

    @factory.post_generation
    def counted(self, create, extracted, **kwargs):
        """The factory stands in for the registration service: count the deal on the
        dashboard as the service would."""
        if create:
            counters.record(None, self)
