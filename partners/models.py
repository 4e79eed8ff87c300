from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left, Lower, Now, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TAX_CODE_PATTERN = r"^[0-9]{10}(-[0-9]{3})?$"
tax_code_validator = RegexValidator(
    TAX_CODE_PATTERN,
    _("A tax code is 10 digits, or 10 digits, a dash and 3 digits for a branch."),
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in with an e-mail address: a partner user or VNG Cloud staff."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Sign-in finds a user by e-mail in any case: "Alpha@example.com" beside
        # "alpha@example.com" signed the one in as the other.
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_any_case_unique",
                violation_error_message=_("A user with this e-mail address already exists."),
            )
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        # Stored in lower case, as the services store it (accounts.services): a form's
        # "Alpha@Example.com" is the same address.
        super().clean()
        self.email = self.email.strip().lower()

    def get_full_name(self):
        # Vietnamese order: family name first ("Nguyễn Văn An").
        return f"{self.last_name} {self.first_name}".strip()


# A sandbox organisation is named after its partner, with this after the name.
SANDBOX_NAME_SUFFIX = " [sandbox]"


def sandbox_name(partner_name: str) -> str:
    """The name of the sandbox of a partner named `partner_name` (within the name's 200)."""
    return partner_name[: 200 - len(SANDBOX_NAME_SUFFIX)] + SANDBOX_NAME_SUFFIX


class Partner(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=200)
    # Unique among real partners (partner_tax_code_unique); a sandbox carries its partner's.
    tax_code = models.CharField(_("tax code"), max_length=14, validators=[tax_code_validator])
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    require_2fa = models.BooleanField(
        _("require two-factor sign-in"),
        default=False,
        help_text=_("Everyone in the organisation must set up two-factor sign-in."),
    )
    # Set on a partner's sandbox organisation (deals.services.sandbox): the partner whose
    # sandbox API tokens act on it. Its deals, customers and discounts are test data that
    # VNG Cloud's queues, reports and statements leave out (`production_partners`).
    sandbox_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="sandbox",
        verbose_name=_("sandbox of"),
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                fields=["tax_code"],
                condition=Q(sandbox_of__isnull=True),
                name="partner_tax_code_unique",
                violation_error_message=_("A partner with this tax code already exists."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_of_id is not None

    def contract_on(self, day):
        """The contract in force on `day`, or None."""
        return (
            self.contracts.filter(start_date__lte=day, end_date__gte=day)
            .order_by("-start_date")
            .first()
        )


class Membership(models.Model):
    """Links a user to the one partner they work for."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("partner")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.partner}"

    @property
    def is_admin(self):
        return self.role == self.Role.ADMIN


# Ten years: a discount's end date must stay a real date (and a sensible one).
MAX_VALIDITY_DAYS = 3650


class Contract(models.Model):
    """A partner's signed contract with VNG Cloud: the limits on the discounts it may win."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="contracts", verbose_name=_("partner")
    )
    number = models.CharField(_("contract number"), max_length=50, unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    max_discount_rate = models.DecimalField(
        _("highest discount rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    discount_validity_days = models.PositiveIntegerField(
        _("discount validity (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_VALIDITY_DAYS)],
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ("-start_date",)
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(max_discount_rate__gt=0, max_discount_rate__lte=100),
                name="contract_max_rate_in_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_validity_days__gte=1)
                & Q(discount_validity_days__lte=MAX_VALIDITY_DAYS),
                name="contract_validity_in_range",
            ),
        ]

    def __str__(self):
        return self.number


class Customer(models.Model):
    """An end-customer company, known by its tax code."""

    name = models.CharField(_("name"), max_length=200)
    # Unique among real customers, and within each sandbox (the constraints below).
    tax_code = models.CharField(
        _("tax code"), max_length=14, db_index=True, validators=[tax_code_validator]
    )
    # The sandbox organisation whose test customer this is (None: a real customer). A
    # sandbox registers real tax codes without touching the real customer: its deals, wins
    # and ownership stay on its own rows.
    sandbox = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        db_index=False,  # customer_sandbox_tax_code_unique starts with it
        related_name="+",
        verbose_name=_("sandbox"),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The partner of the customer's active ownership (below), None when nobody owns it. Only
    # partners.services (transfer_ownership, undo_ownership) change ownership, and they set it
    # in the same transaction; the Customers list and its search read it, with no join.
    owner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        db_index=False,  # customer_owner_name_upper starts with it
        related_name="+",
        verbose_name=_("owner"),
    )
    # The API's ?updated_since= and ETags: moves with the customer's own fields and with its
    # owner (partners.services). The database fills it for rows the release before it
    # inserts, and for the rows there were when it was added.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ("name",)
        # The Customers list pages by (owner, name, id); on PostgreSQL its name search has a
        # trigram index with the owner in it (0004_customer_owner) and the tax code prefix
        # uses the unique index.
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_id"),
            # The list's order, with the name as the search compares it (upper case) at the
            # end: a word in many names is then found by walking this index alone (no row
            # read, no case folding per name), ten times faster than reading every match
            # the trigram index gives and sorting them (0009).
            models.Index(
                F("owner"), F("name"), F("id"), Upper("name"), name="customer_owner_name_upper"
            ),
            # The start of a tax code among the partner's customers (the Customers search by
            # digits): without it PostgreSQL joined the tax code index with the owner's part
            # of the trigram index, 68,822 entries for the busiest partner (0012).
            models.Index(
                fields=["owner", "tax_code"],
                name="customer_owner_tax_code",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # The API's ?updated_since=: the partner's customers in update order.
            models.Index(fields=["owner", "updated_at", "id"], name="customer_owner_updated_id"),
            # The company: the first 10 characters of the tax code (a head office and its
            # branches): the conflict flag's lookup, and the review queue's comparisons.
            models.Index(Left("tax_code", 10), name="customer_tax_root"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_code__regex=TAX_CODE_PATTERN), name="customer_tax_code_format"
            ),
            models.UniqueConstraint(
                fields=["tax_code"],
                condition=Q(sandbox__isnull=True),
                name="customer_tax_code_unique",
                violation_error_message=_("A customer with this tax code already exists."),
            ),
            models.UniqueConstraint(
                fields=["sandbox", "tax_code"],
                condition=Q(sandbox__isnull=False),
                name="customer_sandbox_tax_code_unique",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.tax_code})"

    def get_absolute_url(self):
        return reverse("customer_detail", args=[self.pk])


class CustomerOwnership(models.Model):
    """Which partner a customer belongs to, and since when; ended links are history."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("customer")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("partner")
    )
    deal = models.ForeignKey(
        "deals.Deal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownerships",
        verbose_name=_("deal"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Why staff moved the customer by hand (empty for a win). db_default: links the previous
    # release makes during a deploy get the empty value.
    reason = models.TextField(_("reason for the move"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("customer ownership")
        verbose_name_plural = _("customer ownerships")
        ordering = ("-started_at",)
        indexes = [
            models.Index(
                fields=["partner", "customer"],
                condition=Q(ended_at__isnull=True),
                name="ownership_active_partner",
            ),
            # Staff's ownership list, newest first: all, and by partner.
            models.Index(fields=["started_at", "id"], name="ownership_started_id"),
            models.Index(fields=["partner", "started_at", "id"], name="ownership_partner_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_ownership_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="ownership_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.customer} → {self.partner}"

    @property
    def is_active(self):
        return self.ended_at is None
