from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The HTTP edge every app shares: paging, htmx answers, CSV, charts, widgets, template
    tags, downloads, error pages and the forms' one-time submission keys (its one model). It
    imports no app of the portal."""

    name = "web"
    verbose_name = _("Web")
