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
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.models import Activity

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
    }
)


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


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
