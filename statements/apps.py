from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "statements"
    verbose_name = _("Statements")

    def ready(self):
        from billing.documents import register_top_up_documents
        from statements import activity  # noqa: F401 - names the app's activity-log actions
        from statements.selectors import einvoices_of_top_ups

        # The top-up pages (billing's, a floor below) show a top-up's e-invoices.
        register_top_up_documents(einvoices_of_top_ups)
