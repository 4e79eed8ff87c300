"""Test infrastructure: an e-mail backend that fails while told to, like an SMTP outage.

Not a mock of our code: it stands in for the mail server. The outbox is Django's locmem one.
"""

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise ConnectionRefusedError("SMTP server unavailable (test)")
        return super().send_messages(messages)
