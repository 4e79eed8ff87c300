"""The activity log: one record of who did what, when, to which object, before and after.

Every service that changes something a person may later ask about ("who turned the 2FA rule
on?", "who approved this?", "what did staff change in this contract?") calls
`record_activity` inside its own transaction, so the entry exists if and only if the change
committed. It is one model written by the services (as pretalx's ActivityLog), not a library
that records every save: a save is not an action, and the services know the actor, the reason
and the partner, which a model signal does not.

Actions are dotted codes ("team.role_changed"). Each app names its own in its `activity.py`
with `register_actions` (imported by its AppConfig.ready), so the labels live beside the
services that write them.
Where a change came from (portal, admin, API, worker, command) and the request that caused it
are taken from `activity_context`, which the request middleware and the worker set.
"""

import contextvars
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from allauth.mfa.models import Authenticator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.models import Activity
from partners.models import Membership
from web.formats import grouped

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "activity_context", default=None
)

# The label of each action, as the log shows it. A code missing here shows as itself.
ACTIONS: dict[str, str] = {}


def register_actions(labels: dict) -> None:
    """Add an app's action labels ({code: lazy label}); a code is named once."""
    for code in labels:
        if code in ACTIONS:
            raise ValueError(f"activity action {code!r} is named twice")
    ACTIONS.update(labels)


register_actions(
    {
        "webhook.endpoint_created": _("Added a webhook endpoint"),
        "webhook.endpoint_deleted": _("Deleted a webhook endpoint"),
        "webhook.redelivered": _("Redelivered a webhook"),
        "webhook.endpoint_updated": _("Changed a webhook endpoint"),
        "webhook.secret_rotated": _("Rotated a webhook endpoint's secret"),
        "webhook.test_sent": _("Sent a test webhook"),
        "notifications.emails_retried": _("Sent failed e-mails again (VNG Cloud staff)"),
    }
)


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def action_choices() -> list[tuple[str, str]]:
    """Every named action as (code, label), by label in the reader's language."""
    return sorted(((code, str(label)) for code, label in ACTIONS.items()), key=lambda c: c[1])


# Where a change came from, as the log shows it.
VIA_LABELS = {
    "portal": _("Portal"),
    "admin": _("VNG Cloud admin"),
    "api": _("API"),
    "worker": _("Scheduled job"),
    "command": _("Command"),
}

# The names of the details services keep in `data`; a key missing here shows as itself.
DATA_LABELS = {
    "reason": _("Reason"),
    "comment": _("Comment"),
    "note": _("Note"),
    "text": _("Note"),
    "files": _("Files"),
    "customer": _("Customer"),
    "email": _("E-mail"),
    "role": _("Role"),
    "name": _("Name"),
    "tax_code": _("Tax code"),
    "address": _("Address"),
    "type": _("Type"),
    "access": _("Access"),
    "rates": _("Rates (%)"),
    "estimated_value": _("Estimated value (VND)"),
    "number": _("Contract number"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
    "max_discount_rate": _("Highest discount rate (%)"),
    "discount_validity_days": _("Discount validity (days)"),
    "valid_from": _("Valid from"),
    "valid_until": _("Valid until"),
    "sessions_ended": _("Sessions ended"),
    "count": _("How many"),
    "customer_discounts_revoked": _("Customer discounts revoked"),
    "customer_discounts_ended": _("Customer discounts ended"),
    "discount_revoked": _("Discount revoked"),
    # The money loop (billing.activity)
    "amount": _("Amount (VND)"),
    "reference": _("Reference"),
    "account": _("Account"),
    "top_up": _("Top-up"),
    # The review queue (deals.services.queue)
    "taken_by": _("Taken by"),
}

# Amounts of đồng, shown grouped as the portal shows them (250.000.000), not as stored.
MONEY_KEYS = {"estimated_value", "amount"}


# Values logged under a key that is not a field of the object (a role is logged on the
# person, not the membership), shown by their label.
VALUE_LABELS = {"role": dict(Membership.Role.choices), "type": dict(Authenticator.Type.choices)}


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str
    after: str


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(field, value, key: str = "") -> str:
    """A logged value as a person reads it: a choice's label, a date in their format, an
    amount of đồng grouped."""
    if value is None or value == "":
        return "—"
    if key in MONEY_KEYS and not isinstance(value, bool | list | dict):
        try:
            return grouped(Decimal(str(value)))
        except InvalidOperation:
            pass
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(_shown(None, item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {_shown(None, item)}" for key, item in value.items())
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is None and isinstance(value, str) and _ISO_DATE.fullmatch(value):
        # A date kept in the entry's details (a contract's start): shown as the portal does.
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    try:
        if isinstance(field, models.DateTimeField):
            moment = timezone.localtime(datetime.fromisoformat(value))
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        if isinstance(field, models.DateField):
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        pass
    return str(value)


def _label(field, key: str) -> str:
    if key.startswith("rate "):
        return gettext("rate of %(product)s (%%)") % {"product": key.removeprefix("rate ")}
    if field is not None:
        return str(field.verbose_name)
    return str(DATA_LABELS.get(key, key))


def _value_label(key: str, value):
    if isinstance(value, str):
        return VALUE_LABELS.get(key, {}).get(value, value)
    return value


def describe_changes(entry: Activity) -> list[ChangeRow]:
    """The entry's changes as rows a person reads: the field's name in their language and
    each value as the portal shows it."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    rows = []
    for key, (before, after) in (entry.changes or {}).items():
        field = _model_field(model, key)
        if field is None:
            before, after = _value_label(key, before), _value_label(key, after)
        rows.append(
            ChangeRow(_label(field, key), _shown(field, before, key), _shown(field, after, key))
        )
    return rows


def describe_data(entry: Activity) -> list[tuple[str, str]]:
    """The entry's other details (a reason, a note, files) as (label, text) pairs."""
    return [
        (str(DATA_LABELS.get(key, key)), _shown(None, _value_label(key, value), key))
        for key, value in (entry.data or {}).items()
    ]


@contextmanager
def activity_context(**values):
    """`via` ("portal", "admin", "api", "worker", "command") and `request_id` for the
    entries written inside; nested contexts add to the outer one."""
    token = _context.set({**(_context.get() or {}), **values})
    try:
        yield
    finally:
        _context.reset(token)


def plain(value):
    """`value` as JSON keeps it and a person reads it: models by their name, money and rates
    as exact decimals, dates in ISO 8601."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def changes_between(before: dict, after: dict) -> dict:
    """{field: [before, after]} for each field whose value differs."""
    return {
        field: [plain(before.get(field)), plain(after.get(field))]
        for field in sorted({*before, *after})
        if before.get(field) != after.get(field)
    }


def record_activity(
    *,
    action: str,
    actor=None,
    obj=None,
    partner=None,
    changes: dict | None = None,
    data: dict | None = None,
) -> Activity:
    """Write one entry of the log in the caller's transaction; returns it.

    `actor` is the person (None: the system); `obj` the object acted on; `partner` the
    organisation it concerns (by default the object's own `partner`, or the object itself when
    it is a partner); `changes` {field: [before, after]} (see `changes_between`); `data` any
    other detail (a reason, a count).
    """
    if partner is None and obj is not None:
        partner = obj if obj._meta.label == "partners.Partner" else getattr(obj, "partner", None)
    context = _context.get() or {}
    return Activity.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        via=context.get("via", ""),
        request_id=context.get("request_id", ""),
        partner=partner,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=plain(changes or {}),
        data=plain(data or {}),
    )
