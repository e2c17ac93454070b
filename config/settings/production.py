"""Production: the base settings with every safety switch on. Secrets must come from the
environment; a missing one stops the process at start-up instead of running insecurely."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters "
        "in production (for example: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the hosts this site serves.")
if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL must name the production PostgreSQL server.")

# Payments: real Stripe only. The sandbox gateway can never run here.
BILLING_SANDBOX_ALLOWED = False
for _name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_CURATION_PRICE_ID"):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"{_name} must be set in production: payments use Stripe.")

# Webhook endpoints are public https addresses only (no requests into our own network).
WEBHOOK_ALLOW_PRIVATE_URLS = False
# Receipt signing keys are encrypted with a secret of their own (rotating the Django
# secret key must not lose them).
RECEIPT_KEY_SECRET = env.str("RECEIPT_KEY_SECRET", default="")
if len(RECEIPT_KEY_SECRET) < 32:
    raise ImproperlyConfigured(
        "RECEIPT_KEY_SECRET must be set to a random value of at least 32 characters in "
        "production: it encrypts the keys that sign license receipts."
    )

# Staff reach the admin only with a second factor (TOTP or a recovery code).
STAFF_REQUIRE_2FA = True

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Hashed static file names so browsers can cache them forever; needs `collectstatic`.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = False
WHITENOISE_USE_FINDERS = False
