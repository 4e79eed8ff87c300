"""The settings every test runs with: tests/conftest.py sets them for each test, and
tests/built_once.py for the data built once for a class."""

EVERY_TEST = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    # Hashing test passwords with PBKDF2 would dominate the suite's time.
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "STAFF_NOTIFICATION_EMAILS": ["sales-ops@vngcloud.test"],
    # Events are delivered in-process unless a test starts real workers (tests/worker).
    "CELERY_BROKER_URL": "",
    # Staff in admin need 2FA by default in production; the 2FA tests turn it on themselves.
    "STAFF_REQUIRE_2FA": False,
}
