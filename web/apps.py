from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The HTTP edge every app shares: paging, htmx answers, CSV, charts, widgets, template
    tags, downloads, error pages and the forms' one-time submission keys (its one model). It
    imports no app of the portal."""

    name = "web"
    verbose_name = _("Web")

    def ready(self):
        from django.contrib.auth.signals import user_login_failed
        from django.db.backends.signals import connection_created

        from web import lookups, metrics

        lookups.register()

        # Counting only (web/metrics.py): the portal's own logic uses no signals.
        user_login_failed.connect(metrics.count_login_failure, dispatch_uid="portal-metrics")
        connection_created.connect(metrics.count_queries, dispatch_uid="portal-metrics")
