from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from billing import activity  # noqa: F401 - names the app's activity-log actions
        from billing.services import register_ownership_follower

        # The links follow the customers' ownership, in the ownership change's transaction.
        register_ownership_follower()

        from billing.services.accounts import confirmation_email
        from notifications.models import Kind
        from notifications.services import register_email_renderer

        # The customer's confirmation e-mail goes through the outbox, written here.
        register_email_renderer(Kind.CLOUD_ACCOUNT_CONFIRMATION, confirmation_email)
