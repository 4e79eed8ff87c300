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
