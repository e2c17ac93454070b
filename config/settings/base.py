"""Settings shared by every environment. Each value comes from the environment (see the
README's configuration table and `.env.example`); the defaults run the demo on one machine:
an embedded PostgreSQL, eager Celery, a local media folder, the local payment sandbox."""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

from common.money import micros_from_usd
from config import embedded_postgres
from config.settings.env import (
    caches_from_env,
    celery_from_env,
    media_origins,
    public_base_url,
    storages_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

env = environ.Env()

SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    default="django-insecure-demo-only-key-never-use-in-production",
)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Where people reach this site; files made away from a request (dataset releases) use it
# to give absolute links. Empty: those links are paths on this site.
PUBLIC_BASE_URL = public_base_url(env.str("PUBLIC_BASE_URL", default=""))

INSTALLED_APPS = [
    "marketplace.admin_config.MarketplaceAdminConfig",  # Django's admin, staff two-factor on top
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "storages",
    "django_htmx",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "marketplace",
    "catalog",
    "provenance",
    "billing",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware: API paths work without their trailing slash (no redirect),
    # and every error under /api/ gets the JSON error body, whatever DEBUG is.
    "marketplace.api.middleware.ApiPathsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it answers a request whose sign-in was refused for a lockout.
    "axes.middleware.AxesMiddleware",
]

# Sign-in: django-axes refuses a username from an address after repeated failures (it
# checks before the password), then Django's own check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "marketplace.signin.lockout_response"
# Browser-side protection for every page (the API's JSON answers carry it too, harmlessly):
# scripts, styles, fonts and frames from this site only, nothing inline, no framing by
# other sites. The hashes allow the few fixed style attributes of DRF's browsable API
# (float and border rules of its buttons and forms), no script.
_DRF_STYLE_ATTRIBUTES = [
    "float: right; margin-right: 10px",
    "border-bottom: 1px solid #e5e5e5",
    "border-bottom: 0",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [
            SELF,
            UNSAFE_HASHES,
            *(
                f"'sha256-{base64.b64encode(hashlib.sha256(rule.encode()).digest()).decode()}'"
                for rule in _DRF_STYLE_ATTRIBUTES
            ),
        ],
        # data: for the icons inside Swagger UI's stylesheet; media may come from S3.
        "img-src": [SELF, "data:", *media_origins(os.environ)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # A form posted here may be answered by a redirect to Stripe's hosted pages
        # (Checkout, the customer portal, Connect onboarding): browsers apply this to it.
        "form-action": [
            SELF,
            "https://checkout.stripe.com",
            "https://billing.stripe.com",
            "https://connect.stripe.com",
        ],
        "frame-ancestors": [NONE],
    },
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Staff two-factor (TOTP, with recovery codes) for the admin; production always requires it.
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = "Opt-in media marketplace"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "marketplace.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.web.context.site",
            ],
        },
    },
]

# Database: PostgreSQL (psycopg 3) everywhere. Unset, the demo's embedded server, which
# manage.py starts (config/embedded_postgres.py).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=embedded_postgres.default_url(VAR_DIR)),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://user:password@host:5432/name)."
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", default=5
)

CACHES = caches_from_env(os.environ)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by WhiteNoise; uploaded and cloned media by the storage below.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = storages_from_env(
    os.environ,
    media_root=MEDIA_ROOT,
    static_backend="whitenoise.storage.CompressedStaticFilesStorage",
)

# Celery: eager in-process without a broker, real workers with one.
_celery = celery_from_env(os.environ)
globals().update(_celery)
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent; a lost worker's task is redone
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=5.0)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
# A killed worker never acknowledges its task: a worker process lost mid-task puts it back
# at once, and on Redis a task whose whole worker died is handed out again after the
# visibility timeout (keep it above the longest task).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300)
}
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs, run by `celery -A config beat`. Each app adds its own entries here.
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "marketplace.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "clear-idempotent-requests": {  # answers kept for Idempotency-Key retries, a day
        "task": "marketplace.clear_idempotent_requests",
        "schedule": crontab(minute=47),  # hourly
    },
    "clear-abandoned-direct-uploads": {
        "task": "marketplace.clear_direct_uploads",
        "schedule": crontab(minute=41),  # hourly
    },
    "expire-manifests": {  # manifest files deleted MANIFEST_EXPORT_DAYS after asked for
        "task": "marketplace.expire_manifests",
        "schedule": crontab(hour=3, minute=47),
    },
    "expire-shard-exports": {  # shards and index deleted SHARD_EXPORT_DAYS after asked for
        "task": "marketplace.expire_shard_exports",
        "schedule": crontab(hour=3, minute=37),
    },
    "release-embargoed-assets": {
        "task": "catalog.release_embargoed",
        "schedule": crontab(minute=5),  # hourly
    },
    "clone-pending-assets": {
        "task": "catalog.clone_pending",
        "schedule": crontab(minute="*/10"),
        "kwargs": {"limit": 20000},
    },
    "seal-audit-log": {  # chain new provenance events into the audit log's hash chain
        "task": "provenance.seal_events",
        "schedule": crontab(),  # every minute
        "kwargs": {"limit": 200000},
        "options": {"expires": 50},  # a backlog waits for the next run, not in a queue
    },
    "score-new-assets": {  # classifiers for newly stored images (catalog may not call them)
        "task": "moderation.score_backlog",
        "schedule": crontab(minute="*/10"),
        "kwargs": {"limit": 5000},
    },
    "run-payouts": {
        "task": "billing.run_payouts",
        "schedule": crontab(hour=env.int("PAYOUT_HOUR_UTC", default=6), minute=0),
    },
    "send-due-webhooks": {  # retries hours away, and deliveries a lost worker left
        "task": "marketplace.sweep_webhooks",
        "schedule": crontab(),  # every minute
        "options": {"expires": 50},
    },
    "purge-old-webhook-deliveries": {  # finished ones older than WEBHOOK_DELIVERY_DAYS
        "task": "marketplace.purge_webhook_deliveries",
        "schedule": crontab(hour=3, minute=37),
    },
    "process-pending-stripe-events": {
        "task": "billing.process_pending_events",
        "schedule": crontab(minute="*/5"),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.api.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "auth": env.str("API_THROTTLE_AUTH", default="20/min"),
        "flags": env.str("API_THROTTLE_FLAGS", default="30/hour"),
        # Signed file links (local storage): a training pipeline fetches thousands.
        "files": env.str("API_THROTTLE_FILES", default="6000/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "marketplace.api.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        # JSON only; the views that take files add multipart (marketplace.api.parsers).
        "marketplace.api.parsers.JSONParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "marketplace.api.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
# API tokens: the lifetime a new token gets unless its owner asks for another, and the
# longest they may ask for (days).
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
if not 1 <= API_TOKEN_DEFAULT_DAYS <= API_TOKEN_MAX_DAYS:
    raise ValueError(
        f"API_TOKEN_DEFAULT_DAYS ({API_TOKEN_DEFAULT_DAYS}) must be from 1 to "
        f"API_TOKEN_MAX_DAYS ({API_TOKEN_MAX_DAYS})."
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Opt-in media marketplace API",
    "DESCRIPTION": (
        "Licensing marketplace of media for AI training: a public-domain and CC0 base set, "
        "artists' opt-in works, buyers' collections and downloads. Every 4xx response has "
        'the body `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Statuses every operation can answer (401, 403, 400, 404, 415, 429) are added to each
    # that can, and numbered pages get their bounds: marketplace.api.schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.api.schema.document_common_errors",
    ],
    # `<id:...>` path segments (common.fields.IdConverter): our bigint ids.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
    # Swagger UI's files ship in drf-spectacular-sidecar: the docs work offline, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Manifests and shard exports share their states: one enum, named here.
    "ENUM_NAME_OVERRIDES": {"ExportStateEnum": "marketplace.models.buying.ExportState"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # One line per HTTP request is too much while ingesting millions of records.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Tasks run in-process without a broker (the demo): a line per finished task
        # would bury what the command itself says. Workers keep them.
        "celery.app.trace": {"level": "WARNING" if _celery["CELERY_TASK_ALWAYS_EAGER"] else "INFO"},
        # runserver prints this itself.
        "django.utils.autoreload": {"level": "WARNING"},
        # Lockouts are in the audit log; its start-up banner would open every command's output.
        "axes": {"level": "WARNING"},
    },
}

# The web pages (marketplace.web): where signing in starts and where it leads.
LOGIN_URL = "web:sign-in"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
CSRF_FAILURE_VIEW = "marketplace.web.errors.csrf_failure"

# EMAIL_URL: smtp+tls://user:password@host:587 in production; the console by default.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="marketplace@localhost")

# With DEBUG on (the demo) WhiteNoise serves files straight from the apps, no collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

# Ingestion and cloning of the base set (catalog).
INGEST_USER_AGENT = env.str(
    "INGEST_USER_AGENT",
    default="OptInMediaMarketplaceBot/1.0 (+https://example.org/bot; ops@example.org)",
)
INGEST_RATE_PER_HOST = env.float("INGEST_RATE_PER_HOST", default=5.0)
INGEST_HTTP_ATTEMPTS = env.int("INGEST_HTTP_ATTEMPTS", default=4)
INGEST_HTTP_TIMEOUT = env.float("INGEST_HTTP_TIMEOUT", default=30.0)
COMMONS_EMBARGO_DAYS = env.int("COMMONS_EMBARGO_DAYS", default=14)
# API keys of the sources that require one (the others are open).
SMITHSONIAN_API_KEY = env.str("SMITHSONIAN_API_KEY", default="")
EUROPEANA_API_KEY = env.str("EUROPEANA_API_KEY", default="")
NYPL_API_TOKEN = env.str("NYPL_API_TOKEN", default="")
BROOKLYN_API_KEY = env.str("BROOKLYN_API_KEY", default="")
CLONE_CONCURRENCY = env.int("CLONE_CONCURRENCY", default=16)
CLONE_BATCH_SIZE = env.int("CLONE_BATCH_SIZE", default=200)
CLONE_RATE_PER_HOST = env.float("CLONE_RATE_PER_HOST", default=10.0)
CLONE_MAX_BYTES = env.int("CLONE_MAX_BYTES", default=300 * 1024 * 1024)
CLONE_MAX_PIXELS = env.int("CLONE_MAX_PIXELS", default=250_000_000)
CLONE_MAX_ATTEMPTS = env.int("CLONE_MAX_ATTEMPTS", default=5)
CLONE_CLAIM_MINUTES = env.int("CLONE_CLAIM_MINUTES", default=30)
THUMBNAIL_SIZE = env.int("THUMBNAIL_SIZE", default=384)
DEDUPE_PHASH_MAX_DISTANCE = env.int("DEDUPE_PHASH_MAX_DISTANCE", default=3)

# Consent signals (catalog.consent): how long a host's tdmrep.json and robots.txt are
# reused; the C2PA trust list read manifests are checked against; our signing key and
# certificate chain (the demo's come from `manage.py make_signing_key`, under VAR_DIR/c2pa).
CONSENT_HOST_CACHE_SECONDS = env.int("CONSENT_HOST_CACHE_SECONDS", default=86400)
_C2PA_DEMO = VAR_DIR / "c2pa"
C2PA_TRUST_ANCHORS = env.str(
    "C2PA_TRUST_ANCHORS", default=str(_C2PA_DEMO / "authority.pem") if DEBUG else ""
)
C2PA_SIGNING_CERT = env.str(
    "C2PA_SIGNING_CERT", default=str(_C2PA_DEMO / "signing-chain.pem") if DEBUG else ""
)
C2PA_SIGNING_KEY = env.str(
    "C2PA_SIGNING_KEY", default=str(_C2PA_DEMO / "signing-key.pem") if DEBUG else ""
)

# Search (catalog)
FACET_EXACT_LIMIT = env.int("FACET_EXACT_LIMIT", default=50_000)
FACET_CACHE_SECONDS = env.int("FACET_CACHE_SECONDS", default=300)
SEARCH_STATEMENT_TIMEOUT_MS = env.int("SEARCH_STATEMENT_TIMEOUT_MS", default=3000)
# Relevance ranks at most this many of a query's newest matches (older ones follow them,
# newest first): ranking reads every match it ranks.
SEARCH_RANK_WINDOW = env.int("SEARCH_RANK_WINDOW", default=10_000)
if SEARCH_RANK_WINDOW < 1:
    raise ValueError(f"SEARCH_RANK_WINDOW must be at least 1, not {SEARCH_RANK_WINDOW}")
# Memory per search sort or bitmap; enough for a common word's matches to stay exact.
SEARCH_WORK_MEM = env.str("SEARCH_WORK_MEM", default="32MB")
# What the planner assumes a random page read costs during searches (PostgreSQL's 4.0
# assumes spinning disks; with the catalog on SSD or in memory, 4.0 makes it walk the
# primary key past hundreds of thousands of rows rather than fetch a word's matches).
SEARCH_RANDOM_PAGE_COST = env.float("SEARCH_RANDOM_PAGE_COST", default=1.1)
# Money: the platform's flat fee on every paid download, in micro-USD (USD 0.001).
PLATFORM_FEE_MICROS = env.int("PLATFORM_FEE_MICROS", default=1000)
# The highest price a rights holder may set per download.
OFFER_MAX_PRICE_MICROS = micros_from_usd(env.str("OFFER_MAX_PRICE_USD", default="1000"))
# Rights holders' uploads (marketplace.uploads): largest image file accepted, in bytes.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# Largest image accepted, in pixels (Pillow itself refuses more than 89,478,485).
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=80_000_000)
# Most files in one multipart batch upload.
UPLOAD_BATCH_MAX_FILES = env.int("UPLOAD_BATCH_MAX_FILES", default=10)
# Largest file accepted through a presigned direct-to-S3 upload, in bytes.
DIRECT_UPLOAD_MAX_BYTES = env.int("DIRECT_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
# Seconds a presigned direct upload form, and its confirmation, stay valid.
DIRECT_UPLOAD_EXPIRY_SECONDS = env.int("DIRECT_UPLOAD_EXPIRY_SECONDS", default=3600)
# Largest evidence file of an ownership declaration, in bytes.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Most evidence files on one ownership declaration.
EVIDENCE_MAX_FILES = env.int("EVIDENCE_MAX_FILES", default=5)
# Accept trusted rights holders' ownership declarations without a moderator's review.
OWNERSHIP_AUTO_ACCEPT_TRUSTED = env.bool("OWNERSHIP_AUTO_ACCEPT_TRUSTED", default=True)
# Django refuses a request with more files than this before reading them (one over the
# caps above, so that our own check names the limit); larger files spill to disk.
DATA_UPLOAD_MAX_NUMBER_FILES = max(UPLOAD_BATCH_MAX_FILES, EVIDENCE_MAX_FILES) + 1
# Downloads: the most assets one request may license, and how long download links live.
DOWNLOAD_MAX_ASSETS = env.int("DOWNLOAD_MAX_ASSETS", default=10_000)
DOWNLOAD_URL_SECONDS = env.int("DOWNLOAD_URL_SECONDS", default=300)
# The site's zip of what a buyer just licensed: offered for sets up to this many files and
# bytes (larger ones take a manifest); streamed, never held in memory.
DOWNLOAD_ZIP_MAX_FILES = env.int("DOWNLOAD_ZIP_MAX_FILES", default=100)
DOWNLOAD_ZIP_MAX_BYTES = env.int("DOWNLOAD_ZIP_MAX_BYTES", default=500 * 1000 * 1000)
# Manifests: how long the links inside a manifest stay valid by default, and at most
# (S3 presigned URLs last 7 days at most).
MANIFEST_LINK_SECONDS = env.int("MANIFEST_LINK_SECONDS", default=24 * 3600)
MANIFEST_LINK_MAX_SECONDS = env.int("MANIFEST_LINK_MAX_SECONDS", default=7 * 24 * 3600)
# Days a manifest's file is kept after it was asked for; then it is deleted and the manifest
# is marked expired (the daily task above, or `manage.py expire_manifests`).
MANIFEST_EXPORT_DAYS = env.int("MANIFEST_EXPORT_DAYS", default=30)
if MANIFEST_EXPORT_DAYS < 1:
    raise ImproperlyConfigured(f"MANIFEST_EXPORT_DAYS ({MANIFEST_EXPORT_DAYS}) must be at least 1.")
# WebDataset shard exports: the largest tar shard, in bytes (an asset larger than this
# goes alone in its own shard).
SHARD_MAX_BYTES = env.int("SHARD_MAX_BYTES", default=500 * 1000 * 1000)
# Days a shard export's files are kept after it was asked for; then they are deleted and it
# is marked expired (the daily task below, or `manage.py expire_shard_exports`).
SHARD_EXPORT_DAYS = env.int("SHARD_EXPORT_DAYS", default=30)
if SHARD_EXPORT_DAYS < 1:
    raise ImproperlyConfigured(f"SHARD_EXPORT_DAYS ({SHARD_EXPORT_DAYS}) must be at least 1.")

# Buyers' webhooks (revocation events): the request timeout, how many days a failing
# delivery is retried (exponential backoff, 1 minute doubling up to 12 hours), and whether
# endpoints may be plain http or on private and loopback addresses (the demo's; never in
# production).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RETRY_DAYS = env.int("WEBHOOK_RETRY_DAYS", default=3)
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=True)
# How many days finished webhook deliveries (delivered, or given up) and their tries are
# kept for the buyers' page and the admin; pending ones are kept until they finish.
WEBHOOK_DELIVERY_DAYS = env.int("WEBHOOK_DELIVERY_DAYS", default=30)
if WEBHOOK_DELIVERY_DAYS < 1:
    raise ValueError(f"WEBHOOK_DELIVERY_DAYS must be at least 1, not {WEBHOOK_DELIVERY_DAYS}")
# License receipts: their Ed25519 private keys are kept in the database encrypted with
# this secret (any string; 32+ random characters in production). Empty: derived from
# DJANGO_SECRET_KEY (the demo's).
RECEIPT_KEY_SECRET = env.str("RECEIPT_KEY_SECRET", default="")

# Billing: Stripe, or the local sandbox gateway when no key is set (the demo only).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_CURATION_PRICE_ID = env.str("STRIPE_CURATION_PRICE_ID", default="")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
BILLING_SANDBOX_ALLOWED = True  # production settings turn it off for good
# Where Stripe's pages send people back to (the product's front end).
BILLING_SUCCESS_URL = env.str(
    "BILLING_SUCCESS_URL", default="http://127.0.0.1:8000/api/v1/billing/wallet/"
)
BILLING_CANCEL_URL = env.str("BILLING_CANCEL_URL", default=BILLING_SUCCESS_URL)
BILLING_CONNECT_REFRESH_URL = env.str(
    "BILLING_CONNECT_REFRESH_URL", default="http://127.0.0.1:8000/api/v1/billing/payouts/"
)
# Top-ups: fixed amounts (comma-separated USD; empty allows any whole-cent amount) within
# a minimum and maximum. Card payments under USD 0.50 are impossible.
TOP_UP_AMOUNTS_MICROS = [
    micros_from_usd(amount)
    for amount in env.list("TOP_UP_AMOUNTS_USD", default=["5", "10", "25", "50", "100"])
]
TOP_UP_MIN_MICROS = micros_from_usd(env.str("TOP_UP_MIN_USD", default="5"))
TOP_UP_MAX_MICROS = micros_from_usd(env.str("TOP_UP_MAX_USD", default="500"))
# Plans: monthly download quotas, and the Curation price shown to buyers (Stripe bills it).
PLAN_FREE_MONTHLY_DOWNLOADS = env.int("PLAN_FREE_MONTHLY_DOWNLOADS", default=1000)
PLAN_CURATION_MONTHLY_DOWNLOADS = env.int("PLAN_CURATION_MONTHLY_DOWNLOADS", default=10_000)
PLAN_CURATION_PRICE_MICROS = micros_from_usd(env.str("PLAN_CURATION_PRICE_USD", default="10"))
# Payouts: earnings younger than the hold stay back (refund window); less than the
# minimum waits for the next run.
PAYOUT_HOLD_DAYS = env.int("PAYOUT_HOLD_DAYS", default=14)
PAYOUT_MINIMUM_MICROS = micros_from_usd(env.str("PAYOUT_MINIMUM_USD", default="1"))

# Moderation classifiers (moderation).
# Nudity score (0-1) at or above which an asset is marked for a moderator's review.
MODERATION_HOLD_NSFW = env.float("MODERATION_HOLD_NSFW", default=0.8)
# Assets scored per `moderation.score_assets` task and per batch of `score_assets`.
MODERATION_BATCH_SIZE = env.int("MODERATION_BATCH_SIZE", default=64)
# onnxruntime threads per process, nudity model (1: a worker process per core; 0: all cores).
MODERATION_ONNX_THREADS = env.int("MODERATION_ONNX_THREADS", default=1)
