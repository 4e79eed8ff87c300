from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts import activity  # noqa: F401 - names the app's activity-log actions
        from accounts.middleware import start_session_clock

        # Django's own sign-in event, sent by every way in (allauth, admin, single sign-on,
        # force_login): the session's clocks start with it, so no page has to write them.
        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
