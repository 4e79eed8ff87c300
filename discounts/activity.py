"""The discounts app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "discount.revoked": _("Revoked a partner discount"),
        "customer_discount.created": _("Created a customer discount"),
        "customer_discount.revoked": _("Revoked a customer discount"),
        "customer_discount.ended": _("A customer discount ended: the customer moved"),
        "contract.created": _("Recorded a contract"),
        "contract.changed": _("Changed a contract"),
        "customer.transferred": _("Moved a customer to this organisation"),
        "customer.corrected": _(
            "Corrected a customer's name, tax code or address (VNG Cloud staff)"
        ),
        "customer.transferred_away": _("Moved a customer away from this organisation"),
    }
)
