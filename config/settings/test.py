"""Test settings: the base settings on real PostgreSQL and Redis (never SQLite), so locks,
constraints and the cache behave as in production."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import env

TEST_DATABASE_URL = env.str("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/test")
DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "TEST_DATABASE_URL must point at PostgreSQL: tests never use SQLite."
    )
DATABASES["default"]["OPTIONS"] = {"connect_timeout": 5}

TEST_REDIS_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/14")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": TEST_REDIS_URL,
        "KEY_PREFIX": "marketplace-test",
    }
}

# Tasks run eagerly inside tests; tests/marketplace/test_celery_worker.py runs a real worker.
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files from the apps' folders, as in the demo: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The demo's C2PA signing key and trust list (under var/, made by `make demo`) never reach
# the tests: a test that signs or trusts configures its own.
C2PA_TRUST_ANCHORS = C2PA_SIGNING_CERT = C2PA_SIGNING_KEY = ""
