"""Every write on deals goes through these functions; views, admin and commands call them."""

from deals.services.content import add_attachments, add_note, post_attachments, post_note
from deals.services.overdue import review_overdue_events
from deals.services.protection import protection_reminders
from deals.services.queue import act_on_many, release_review, take_for_review
from deals.services.registration import has_conflicting_claim, register_deal, resubmit_deal
from deals.services.review import (
    approve_deal,
    correct_deal,
    extend_protection,
    reject_deal,
    send_back_deal,
)
from deals.services.rules import set_discount_rules
from deals.services.stage import allowed_stages, change_stage
from deals.services.sync import set_external_id
from deals.services.void import void_win

__all__ = [
    "act_on_many",
    "add_attachments",
    "add_note",
    "allowed_stages",
    "approve_deal",
    "change_stage",
    "correct_deal",
    "extend_protection",
    "has_conflicting_claim",
    "post_attachments",
    "post_note",
    "protection_reminders",
    "register_deal",
    "reject_deal",
    "release_review",
    "resubmit_deal",
    "review_overdue_events",
    "send_back_deal",
    "set_external_id",
    "set_discount_rules",
    "take_for_review",
    "void_win",
]
