from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscountsConfig(AppConfig):
    name = "discounts"
    verbose_name = _("Discounts")

    def ready(self):
        from discounts import activity  # noqa: F401 - names the app's activity-log actions
