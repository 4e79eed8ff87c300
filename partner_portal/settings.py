"""Settings for the Partner Portal: one module, every value read from the environment.

Defaults make `runserver` work on SQLite with local media; production sets DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS and, for object storage, the AWS_* variables (see .env.example).
"""

import importlib.util
import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration
from pythonjsonlogger.core import RESERVED_ATTRS

from partner_portal import sentry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env (written by `make`) is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")
    SECRET_KEY = "django-insecure-local-development-only"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Django admin with the staff's own site (partner_portal.admin_site): the review queue
    # and the programme view beside the models.
    "partner_portal.apps.StaffAdminConfig",
    # Autocomplete list filters in admin (partner, customer): Django's own widget.
    "admin_auto_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_guid",
    "django_prometheus",
    "axes",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "web",
    "partners",
    "notifications",
    "accounts",
    "discounts",
    # statements, then billing, before deals: each one's seed_demo extends the next one's
    # (the deals' demo, the money loop's accounts and credit, then consumption and
    # statements); manage.py runs the first listed (the first app wins a command's name).
    # The floors are in pyproject.toml, not in this order.
    "statements",
    "billing",
    "deals",
    "api",
    "partner_portal",
]

MIDDLEWARE = [
    # Counts every request (django-prometheus), the probes included; its pair is last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id (cleaned, then set and echoed by django-guid) and the access line.
    "partner_portal.logs.AccessLogMiddleware",
    "django_guid.middleware.guid_middleware",
    # /healthz and /readyz, before sessions, the HTTPS redirect and the host check.
    "partner_portal.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # An over-long API address answers 414 in problem details, before anything else runs.
    "partner_portal.middleware.ApiRequestTargetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "partner_portal.middleware.CookieLocaleMiddleware",
    "partner_portal.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.RenamedBackendMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After auth and messages: ends idle or too old sessions; sends people who must use 2FA
    # (the organisation's rule, staff in admin) to set it up first.
    "accounts.middleware.SessionTimeoutMiddleware",
    # An htmx request from someone signed out answers 401, so a dialog keeps what was typed.
    "accounts.middleware.SessionEndedMiddleware",
    "accounts.middleware.TwoFactorRuleMiddleware",
    "accounts.middleware.ActivityContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# django-migration-linter (the dev extra) gives `manage.py lintmigrations` to CI; production
# does not install it. A migration the previous release cannot run beside (a column dropped or
# renamed while it still reads it, NOT NULL without a database default) fails CI, unless it is
# listed here with the reason it is safe (docs/operations.md, Deploys without downtime).
if importlib.util.find_spec("django_migration_linter"):
    INSTALLED_APPS.append("django_migration_linter")
MIGRATIONS_LINTER_IGNORED = {
    # Only migrations shipped before the linter, applied everywhere since; never a new one.
    "0002_initial": "deals and discounts: the first schema, split in two for the foreign keys "
    "between apps; no release ran before it",
    # These three add NOT NULL columns with a Python default only (Django drops the database's):
    # the release before each would have failed to insert during a rolling deploy. Today they
    # would get db_default (as notifications 0008_event_request_id does).
    "0003_void_win": "deals.win_void_reason NOT NULL; shipped before the linter",
    "0004_product_names_in_both_languages": "product names NOT NULL; shipped before the linter",
    "0004_stagechange_system_note": "stage change system note NOT NULL; shipped before the linter",
    # The linter refuses any new unique constraint; this one is on a column the same migration
    # adds (nullable, NULL and "" left out), which the previous release never writes, and its
    # index is built CONCURRENTLY (partners/migration_ops.py).
    "0014_deal_external_id": "unique per partner on the new, nullable external_id only",
    # The sandbox's tax codes: the new unique indexes (built CONCURRENTLY) hold for every row
    # the previous release writes (its rows have no sandbox, and the old constraint they
    # replace held the same codes unique), and the only index dropped is the partners' small
    # table's prefix index (a few hundred rows).
    "0008_sandbox": "partial unique tax codes replace the unique ones; small partner index",
    # One user per e-mail address in any case (built CONCURRENTLY): every path of the previous
    # release but its admin form already stores addresses in lower case (accounts.services),
    # so the only insert it can refuse there is the case-twin the index exists to prevent.
    "0011_user_email_any_case_unique": "e-mails unique in any case; stored lower case already",
}
MIGRATION_LINTER_OPTIONS = {
    "include_apps": [
        "web",
        "partners",
        "notifications",
        "accounts",
        "discounts",
        "deals",
        "billing",
        "statements",
        "api",
    ],
    "ignore_name": list(MIGRATIONS_LINTER_IGNORED),
    "sql_analyser": "postgresql",
    "no_cache": True,
}

ROOT_URLCONF = "partner_portal.urls"
WSGI_APPLICATION = "partner_portal.wsgi.application"
ASGI_APPLICATION = "partner_portal.asgi.application"

# Django's renderer, the <input> widgets written out in Python (the same markup).
FORM_RENDERER = "web.form_renderer.QuickRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partner_portal.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite file by default, anything DATABASE_URL names otherwise (postgres://...).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing with
    # "database is locked" halfway through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 10}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (several app servers share it), local memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Django's RedisCache, counting hits and misses for Prometheus (partner_portal/cache.py).
    CACHES = {"default": {"BACKEND": "partner_portal.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database, never in one process's memory.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "partners.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts (issue 16): django-allauth, 2FA, single sign-on, lockout, session timeouts ---
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # allauth's ModelBackend (it also takes {"email": ...}, as allauth's login form sends it),
    # loading the membership and partner with the user on every request.
    "accounts.backends.PortalAuthenticationBackend",
]
# /login/ is allauth's login page too (old links and bookmarks keep working).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Nobody signs up: partner admins invite (the invitation proves the e-mail), staff add users.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[VNG Cloud Partner Portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Old signing keys still accepted (sessions, reset links, the encrypted TOTP secrets) while
# SECRET_KEY is rotated.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "VNG Cloud Partner Portal"
# A used TOTP code is remembered in the cache until it expires (no replay): with several app
# servers set REDIS_URL so they share it; the same holds for the rate limits below.
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=not DEBUG)
USERSESSIONS_TRACK_ACTIVITY = False

# Single sign-on with OpenID Connect (VNG Cloud IAM or any provider); off unless all three are set.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="VNG Cloud")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": "sso",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_ISSUER, "token_auth_method": "client_secret_post"},
            }
        ]
        if OIDC_ISSUER and OIDC_CLIENT_ID and OIDC_CLIENT_SECRET
        else [],
        "OAUTH_PKCE_ENABLED": True,
    }
}
# Signing in with the provider finds an existing account by a verified e-mail; it never
# creates one (the adapter closes sign-up) and never a membership.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False

# Sessions: signed out after SESSION_IDLE_TIMEOUT without a request, and SESSION_ABSOLUTE_TIMEOUT
# after signing in, whatever happens in between.
SESSION_IDLE_TIMEOUT = timedelta(seconds=env.int("SESSION_IDLE_TIMEOUT", default=8 * 3600))
SESSION_ABSOLUTE_TIMEOUT = timedelta(
    seconds=env.int("SESSION_ABSOLUTE_TIMEOUT", default=14 * 24 * 3600)
)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

# The client's address: REMOTE_ADDR, or behind AXES_PROXY_COUNT trusted proxies the entry
# that many places from the RIGHT of X-Forwarded-For (the left end is whatever the client
# sent). One function (web.net.client_ip) serves axes, allauth and the sign-in history.
PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "web.net.client_ip"
# Lockout: 5 failed passwords for one e-mail from one address lock that pair for 15 minutes
# (admin login included: it goes through the same page).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "web.net.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
# Limits kept in the cache (allauth's rate limits): failed passwords from one address across
# all accounts, failed passwords for one account from all addresses (anyone can use it to
# pause an account's sign-in for 15 minutes; a password reset lifts it), wrong 2FA codes per
# user and per address, reset requests per address and per e-mail.
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=10)
ACCOUNT_RATE_LIMITS = {
    "login_failed_address": f"{LOGIN_FAILURES_PER_ADDRESS}/15m/ip",
    "login_failed_account": f"{LOGIN_FAILURES_PER_ACCOUNT}/15m/key",
    # allauth's own action: wrong 2FA codes, per address and per user.
    "login_failed": f"{LOGIN_FAILURES_PER_ADDRESS}/15m/ip,5/15m/key",
    "reset_password": f"{LOGIN_FAILURES_PER_ADDRESS}/15m/ip,5/15m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "login": "30/m/ip",
}

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The portal's catalogue first; then Vietnamese for django-allauth's own strings (allauth ships
# none) and for the Django REST framework messages DRF's own Vietnamese lacks (the API's field
# errors), each kept apart so `makemessages` neither extracts nor drops them.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_allauth", BASE_DIR / "locale_drf"]
FORMAT_MODULE_PATH = ["partner_portal.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (and WhiteNoise serves from when DEBUG is off).
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# File storage: local media/ unless a bucket is configured (VNG Cloud vStorage, AWS S3, MinIO).


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    addressing_style: str | None = None,
    expire: int = 300,
    max_attempts: int = 3,
) -> dict:
    """The STORAGES entry for an S3-compatible bucket (the S3 tests build theirs with it too)."""
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    # A multipart upload from a file object holds max_in_memory_upload_chunks parts of
    # multipart_chunksize in memory (boto's default: 10 x 8 MB); keep it to 2 x 5 MB (5 MB is
    # S3's smallest part). The attribute is s3transfer's; boto3's TransferConfig does not take
    # it as an argument.
    transfer = TransferConfig(
        multipart_threshold=8 * 1024 * 1024,
        multipart_chunksize=5 * 1024 * 1024,
        max_concurrency=2,
    )
    transfer.max_in_memory_upload_chunks = 2
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # No ACL header: objects stay as private as the bucket, and buckets with ACLs
            # disabled (the AWS default) refuse any ACL header.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": expire,
            "file_overwrite": False,
            # django-storages ignores addressing_style and signature_version once a
            # client_config is given, so they go into the Config itself. "path" is what
            # MinIO and most S3-compatible services (vStorage) need with a custom endpoint.
            "client_config": Config(
                s3={"addressing_style": addressing_style or "auto"},
                signature_version="s3v4",
                # S3-compatible services (vStorage, MinIO) reject boto's newer default checksums.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                # An unreachable endpoint fails the upload within seconds, not minutes.
                connect_timeout=5,
                read_timeout=60,
                retries={"mode": "standard", "max_attempts": max_attempts},
            ),
            "transfer_config": transfer,
            # Reading an object through storage.open spills to disk past 2 MB.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }


AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = s3_storage(
        bucket=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=""),
        region=env.str("AWS_S3_REGION_NAME", default=""),
        access_key=env.str("AWS_ACCESS_KEY_ID", default=""),
        secret_key=env.str("AWS_SECRET_ACCESS_KEY", default=""),
        addressing_style=env.str("AWS_S3_ADDRESSING_STYLE", default=""),
        expire=env.int("AWS_QUERYSTRING_EXPIRE", default=300),
    )
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "web.staticfiles.StaticStorage"
    },
}

# Business settings.
DEAL_PROTECTION_DAYS = env.int("DEAL_PROTECTION_DAYS", default=90)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=25 * 1024 * 1024)
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=10)
# Images above this many pixels are refused before decoding (decompression bombs); 40 MP
# covers phone photos and scans, and bounds the memory one thumbnail can take.
ATTACHMENT_MAX_IMAGE_PIXELS = env.int("ATTACHMENT_MAX_IMAGE_PIXELS", default=40_000_000)
# ZIP files and the Office documents built on them (and archives inside them): the sizes they
# declare may add up to this many bytes unpacked, no entry over 1 MB may be compressed more
# than this ratio (deflate reaches 1032:1 on a ZIP bomb; real documents stay far below 100),
# and they may hold at most this many files.
ATTACHMENT_MAX_UNCOMPRESSED_BYTES = env.int(
    "ATTACHMENT_MAX_UNCOMPRESSED_BYTES", default=256 * 1024 * 1024
)
ATTACHMENT_MAX_COMPRESSION_RATIO = env.int("ATTACHMENT_MAX_COMPRESSION_RATIO", default=200)
ATTACHMENT_MAX_ARCHIVE_ENTRIES = env.int("ATTACHMENT_MAX_ARCHIVE_ENTRIES", default=10_000)
# The first handler enforces ATTACHMENT_MAX_BYTES and ATTACHMENT_MAX_FILES while the request
# streams in; the others are Django's defaults (memory for small requests, temp files else).
FILE_UPLOAD_HANDLERS = [
    "deals.files.uploads.AttachmentLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Partner API (/api/v1/) ---------------------------------------------------------------
# Requests per token (DRF's rate syntax: N/second|minute|hour|day), counted in the cache.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="300/minute")
# Largest JSON body; multipart uploads may carry ATTACHMENT_MAX_FILES x ATTACHMENT_MAX_BYTES.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# Longest API address (path and query string, as sent); longer answers 414 in problem details.
# Keep it below gunicorn's limit_request_line (gunicorn.conf.py: 8190) less the method and
# protocol, or gunicorn answers first with an HTML page.
API_MAX_URL_LENGTH = env.int("API_MAX_URL_LENGTH", default=4000)
# How deep a JSON body may nest (objects and arrays); deeper is a 400 (api/parsers.py).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
# Hosts that may receive webhooks although they are private or plain http (tests, development),
# e.g. "127.0.0.1,localhost". Empty in production: only public https URLs.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
# Webhook deliveries: retried after 1, 2, 4, ... times WEBHOOK_RETRY_SECONDS (at most an hour
# apart) for WEBHOOK_RETRY_HOURS, then failed; each POST waits WEBHOOK_TIMEOUT_SECONDS at most.
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=60)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
# Short: a receiver must answer quickly (and queue its work); a slow one holds a worker slot.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=5)
# After a secret is rotated, the previous one keeps signing (beside the new one) this long.
WEBHOOK_SECRET_GRACE_HOURS = env.int("WEBHOOK_SECRET_GRACE_HOURS", default=24)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.PartnerAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATE_INPUT_FORMATS": ["iso-8601"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VNG Cloud Partner Portal API",
    # Translated, like the operations' texts: /api/v1/docs/ shows them in the reader's language.
    "DESCRIPTION": _(
        "Register deals, move their stages and read discounts and customers, under the same "
        "rules as the portal. Authenticate with `Authorization: Bearer <token>` (tokens are "
        "created by partner admins on /team/tokens/). Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the drf-spectacular-sidecar wheel: served by us, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # After drf-spectacular's own enum hook: the links between operations (api/schema.py),
    # then the webhook event catalogue (api/webhooks.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess",
        "api.webhooks.add_webhook_catalogue",
    ],
    # Billing's internal API has a schema of its own (api.urls INTERNAL_SCHEMA).
    "PREPROCESSING_HOOKS": ["api.docs.partner_only"],
    "ENUM_NAME_OVERRIDES": {
        "DealStatusEnum": "deals.models.ReviewStatus",
        "StageEnum": "deals.models.Stage",
        "LostReasonEnum": "deals.models.LostReason",
        "EffectiveStatusEnum": "discounts.models.EffectiveStatus",
        "CloudAccountStatusEnum": "billing.models.CloudAccountStatus",
        "TopUpStatusEnum": "billing.models.TopUpStatus",
        "CloudAccountKindEnum": "billing.models.CloudAccountKind",
        "KindEnum": "api.serializers.AttachmentKind",
        "StatementStatusEnum": "statements.models.Statement.Status",
        "StatementLineKindEnum": "statements.models.StatementLine.Kind",
        # The event types (events' `type`, endpoints' `event_types`): the name it always had.
        "TypeEnum": "notifications.webhooks.events.EVENT_TYPES",
    },
}

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="partner-portal@localhost")
STAFF_NOTIFICATION_EMAILS = env.list("STAFF_NOTIFICATION_EMAILS", default=[])

# --- Events and notifications (Celery) ------------------------------------------------------
# The broker: CELERY_BROKER_URL, else REDIS_URL. Empty = no worker: events are delivered in the
# web process after commit (`make run`, tests), by the same code and with the same rows.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a worker that dies mid-task leaves it to another;
# the delivery claim keeps that from sending twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage must not hold a web request for long: give up after a few seconds (the
# event is in the outbox; the sweep hands it over when the broker is back).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Rolling restarts (docs/operations.md, Deploys without downtime): SIGTERM lets a worker finish
# its running task (acks_late above: a task killed halfway is redelivered, not lost). No task
# runs longer than CELERY_TASK_TIME_LIMIT. Redis redelivers a task not acknowledged within the
# visibility timeout, and a retry waiting for its countdown (at most an hour: the e-mail and
# webhook backoff) counts as not acknowledged: the timeout covers both, or a retry would be
# delivered twice.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
LONGEST_TASK_COUNTDOWN = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": max(2 * 3600, LONGEST_TASK_COUNTDOWN + CELERY_TASK_TIME_LIMIT + 600),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
# Webhook POSTs wait on partners' servers: their own queue, served by their own workers
# (`celery -A partner_portal worker -Q webhooks`), so a slow receiver never holds e-mails or
# fan-outs, and the other worker takes only the default queue.
WEBHOOK_QUEUE = "webhooks"
CELERY_TASK_ROUTES = {"notifications.tasks.send_webhook_delivery": {"queue": WEBHOOK_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": float(env.int("NOTIFICATION_SWEEP_SECONDS", default=60)),
    },
    "deal-protection": {"task": "deals.tasks.protection_reminders", "schedule": 3600.0},
    "purge-orphans": {"task": "deals.tasks.purge_orphans", "schedule": 300.0},
    "purge-submission-keys": {"task": "web.tasks.purge_submission_keys", "schedule": 3600.0},
    "review-overdue": {"task": "deals.tasks.review_overdue", "schedule": 900.0},
    # The sandboxes' registrations the countdown task missed (docs/api.md, Sandbox).
    "sandbox-approvals": {"task": "deals.tasks.approve_sandbox_registrations", "schedule": 60.0},
    # The worker's liveness, read by /readyz?worker=1 and `manage.py check_worker`.
    "heartbeat": {"task": "partner_portal.tasks.heartbeat", "schedule": 30.0},
    # Drafts each partner's statement of the previous month once (a unique constraint).
    "draft-statements": {"task": "statements.tasks.draft_statements", "schedule": 3600.0},
}
# A sandbox registration (a sandbox API token's) is approved by the system this many seconds
# after it is submitted (deals.services.sandbox).
SANDBOX_AUTO_APPROVE_SECONDS = env.int("SANDBOX_AUTO_APPROVE_SECONDS", default=30)
# Prometheus: /metrics answers these addresses or networks (e.g. "10.0.0.0/8,127.0.0.1") and
# requests with "Authorization: Bearer <METRICS_TOKEN>"; neither set: /metrics is off (404).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in METRICS_ALLOWED_IPS]
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The worker's own metrics endpoint (partner_portal/worker_metrics.py); 0 = none.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
# A heartbeat older than this (seconds) means beat or every worker is down.
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=120)
# Retries of a failed e-mail: after 1, 2, 4, ... times this, at most NOTIFICATION_MAX_ATTEMPTS.
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=60)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
# The sweep leaves an event this long for its normal hand-off before handing it over again.
NOTIFICATION_SWEEP_GRACE_SECONDS = env.int("NOTIFICATION_SWEEP_GRACE_SECONDS", default=60)
# Staff in this group (and the STAFF_NOTIFICATION_EMAILS addresses) hear of registrations,
# resubmissions, conflicts and closed deals.
NOTIFICATION_REVIEWERS_GROUP = env.str("NOTIFICATION_REVIEWERS_GROUP", default="Deal reviewers")
# "Protection expiring" is sent this many days before protected_until.
PROTECTION_REMINDER_DAYS = env.int("PROTECTION_REMINDER_DAYS", default=14)
# VNG's published promise: a registration is reviewed within this many Vietnamese business
# days (weekends, public holidays, Tết and the staff's extra days off do not count).
REVIEW_SLA_BUSINESS_DAYS = env.int("REVIEW_SLA_BUSINESS_DAYS", default=3)

# Content Security Policy: every script and style is a file served by us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}

# HTTPS hardening: production defaults whenever DEBUG is off, so `manage.py check --deploy
# --fail-level WARNING` is clean out of the box. Each one can be switched off by its variable,
# e.g. SECURE_SSL_REDIRECT=false when the TLS-terminating proxy already redirects to HTTPS
# (then silence security.W008 with SILENCED_SYSTEM_CHECKS, so the deploy check stays clean).
#
# LOCAL_HTTP=true is the one switch for a production-like run over plain HTTP on this machine
# (`make serve`, the benchmarks): the HTTPS settings below default to off, as with DEBUG, while
# everything else stays production. It refuses any host but this machine's, so it cannot be
# left on by mistake on a server that others reach.
LOCAL_HTTP = env.bool("LOCAL_HTTP", default=False)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
if LOCAL_HTTP and not set(ALLOWED_HOSTS) <= LOCAL_HOSTS:
    raise ImproperlyConfigured(
        f"LOCAL_HTTP=true serves plain HTTP and is only for {sorted(LOCAL_HOSTS)}; "
        f"ALLOWED_HOSTS is {ALLOWED_HOSTS}. Never set it on a server."
    )
_HTTPS = not (DEBUG or LOCAL_HTTP)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_HTTPS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_HTTPS)
# The probes are answered before SecurityMiddleware (ProbeMiddleware); exempt them here too,
# so a reordered MIDDLEWARE never redirects the balancer's plain-HTTP probe.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a proxy that terminates TLS the app sees plain HTTP: without this header every
# request would look insecure and SECURE_SSL_REDIRECT would redirect forever.
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# Error pages (partner_portal/errors.py): a CSRF failure gets the portal's page too, and the
# reference a 500 page shows is written into the log record of its exception.
CSRF_FAILURE_VIEW = "web.errors.csrf_failure"

# Logs (partner_portal/logs.py): every line carries the request id, user id, partner id and
# view; one access line per request on "portal.access". JSON in production, text with DEBUG.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT is json or text.")
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    # Any id the balancer makes is kept (AccessLogMiddleware drops one that is not a plain
    # token of at most 64 characters); a missing one is a new UUID, 32 hex digits.
    "VALIDATE_GUID": False,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    # Tasks carry the id of the request (or task) that sent them; the worker logs with the
    # settings below (partner_portal/celery.py).
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=False, log_parent=False)],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "error_reference": {"()": "web.errors.ErrorReferenceFilter"},
        "request_context": {"()": "partner_portal.logs.RequestContextFilter"},
        "hide_secret_paths": {"()": "partner_portal.logs.HideSecretPathsFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s "
            "%(user_id)s %(partner_id)s %(view)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # Django's request object rides on its log records; its repr shows the path.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s "
            "partner=%(partner_id)s view=%(view)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["error_reference", "hide_secret_paths"]},
        # One line per request from portal.access instead of runserver's own.
        "django.server": {"level": "WARNING"},
        # django-guid says at INFO what it did with each id.
        "django_guid": {"level": "WARNING"},
    },
}

# Sentry (partner_portal/sentry.py): error reports from web and worker when SENTRY_DSN is set,
# without personal data; nothing is sent otherwise.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENABLED = sentry.configure(
    dsn=SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default=""),
    release=env.str("SENTRY_RELEASE", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
