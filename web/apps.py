from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The HTTP edge every app shares: paging, htmx answers, CSV, charts, widgets, template
    tags, downloads and error pages. It holds no models and imports no app of the portal."""

    name = "web"
    verbose_name = _("Web")
