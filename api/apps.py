from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Partner API")

    def ready(self):
        from api import activity  # noqa: F401 - names the app's activity-log actions
        from api.webhooks import event_data
        from notifications.webhooks.events import register_data_builder

        register_data_builder(event_data)
