"""The registered fields' own rules, shared by registration, resubmission and staff's
corrections (deals.services.review.correct_deal): one home for each."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Deal
from partners.models import Customer, Partner

# The furthest ahead a deal's expected close date may be: a year typed wrong (2226 for 2026)
# is refused rather than kept on the pipeline for two centuries.
CLOSE_DATE_MAX_YEARS = 5


def latest_close_date(today: date) -> date:
    """CLOSE_DATE_MAX_YEARS after `today` (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year + CLOSE_DATE_MAX_YEARS)
    except ValueError:
        return today.replace(year=today.year + CLOSE_DATE_MAX_YEARS, day=28)


def close_date_problem(day: date, today: date) -> str | None:
    """Why `day` cannot be a deal's expected close date (a message), or None."""
    if day < today:
        return _("The expected close date cannot be in the past.")
    if day > latest_close_date(today):
        return _("The expected close date must be within %(years)s years from today.") % {
            "years": CLOSE_DATE_MAX_YEARS
        }
    return None


def check_deal_fields(
    *, title: str, estimated_value: Decimal, expected_close_date: date, today: date
) -> None:
    """The deal's own fields, each error keyed by the field it concerns."""
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the deal a title.")
    if not estimated_value.is_finite() or estimated_value < 0 or estimated_value % 1:
        errors["estimated_value"] = _("Enter a whole number of VND, 0 or more.")
    if problem := close_date_problem(expected_close_date, today):
        errors["expected_close_date"] = problem
    if errors:
        raise ValidationError(errors)


def clean_title(title: str) -> str:
    return " ".join(title.split())


def lock_partner_titles(partner_id) -> None:
    """Lock the partner's row. Every write that could leave two open deals of the partner's
    with one title for one customer (registration, resubmission, a staff correction) takes
    it before `check_not_duplicate` and before the deal's own row lock, so they queue here
    in one order and the second sees the first one's title."""
    Partner.objects.select_for_update().filter(pk=partner_id).first()


def check_not_duplicate(
    *, partner: Partner, customer: Customer | None, title: str, exclude_pk=None
) -> None:
    """Refused (ValidationError on "title", code "duplicate") if the partner has another open
    deal with this title for the customer. The caller holds `lock_partner_titles`."""
    # Compared in Python: SQLite's LOWER() only folds ASCII, and Vietnamese titles are not ASCII.
    if customer is None:
        return
    wanted = clean_title(title).casefold()
    open_deals = Deal.objects.filter(
        partner=partner, customer=customer, closed_at__isnull=True
    ).exclude(pk=exclude_pk)
    for existing in open_deals.only("pk", "title", "created_at"):
        if clean_title(existing.title).casefold() == wanted:
            message = _(
                "Your organisation already has an open deal “%(title)s” for this "
                "customer (registered %(date)s). Open that deal instead of "
                "registering it again, or choose another title."
            ) % {
                "title": existing.title,
                "date": timezone.localdate(existing.created_at).isoformat(),
            }
            # The code inside: a dict's own `code` is dropped.
            raise ValidationError({"title": ValidationError(message, code="duplicate")})
