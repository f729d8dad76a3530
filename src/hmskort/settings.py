"""The one settings module. Everything that differs between machines comes from the environment.

See README.md "Configuration" for the variables.
"""

import datetime as dt
import os
import sys
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

# Django's generic classes (ModelAdmin[Card], QuerySet[Card] …) subscriptable at run time, as
# the type annotations write them.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("HMSKORT_HOME", PACKAGE_DIR.parent.parent)).resolve()
TESTING = "pytest" in sys.modules

# The checkout's `.env` (written by the first `make run` / `make install`: development mode and a
# generated SECRET_KEY) fills in what the real environment does not set; the environment always
# wins. HMSKORT_ENV_FILE names another file, or none when empty. The test suite reads no .env: its
# settings come from the environment alone, so a developer's file cannot change what is tested.
ENV_FILE = os.environ.get("HMSKORT_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and not TESTING:
    load_dotenv(ENV_FILE, override=False)

VAR_DIR = Path(os.environ.get("HMSKORT_VAR_DIR", BASE_DIR / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (run `make install` to write a development"
            " .env, or set DEBUG=1 for local development)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
HMSKORT_BASE_URL = os.environ.get("HMSKORT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or (
    [HMSKORT_BASE_URL] if HMSKORT_BASE_URL.startswith("https://") else []
)

INSTALLED_APPS = [
    # Django's admin behind the staff login (password and TOTP), for administrators only.
    "hmskort.accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API documentation's Swagger UI itself (no CDN)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "hmskort.audit",
    "hmskort.companies",
    "hmskort.people",
    "hmskort.cards",
    "hmskort.registries",
    "hmskort.orders",
    "hmskort.alerts",
    "hmskort.accounts",
    "hmskort.portal",
    "hmskort.checks",
    "hmskort.backoffice",
    "hmskort.site",
    "hmskort.api",
    "hmskort.integrations",
    "hmskort.devdata",
]

MIDDLEWARE = [
    "hmskort.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hmskort.site.headers.SecurityHeadersMiddleware",
    "hmskort.api.middleware.JsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # During a maintenance window: 503 for the portal, login and back office; the check answers.
    "hmskort.site.middleware.MaintenanceMiddleware",
    "django.middleware.common.CommonMiddleware",
    "hmskort.dbrouter.CheckReplicaMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hmskort.urls"
WSGI_APPLICATION = "hmskort.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hmskort.site.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite under var/ by default (WAL, busy timeout, immediate transactions so writers queue
# instead of failing); PostgreSQL through DATABASE_URL in production.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "hmskort.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-64000;"
                ),
            },
        }
    }
# A read replica takes the card check's reads (hmskort/dbrouter.py); all else goes to "default".
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
# The test suite reads from the primary unless a test turns this on (tests/ops/test_replica_router).
HMSKORT_READ_REPLICA = bool(DATABASE_REPLICA_URL) and env_bool("HMSKORT_READ_REPLICA", not TESTING)
HMSKORT_REPLICA_VIEWS = frozenset({"checks:check", "checks:qr", "api:get_card", "api:check_cards"})
DATABASE_ROUTERS = ["hmskort.dbrouter.CheckReplicaRouter"]
DB_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and background jobs --------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Tests run in parallel (`pytest -n 2`) share one Redis database: each xdist worker (and each
# process its tests start) keeps its cache keys under a prefix of its own.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"hmskort-{XDIST_WORKER}" if XDIST_WORKER else "hmskort",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# huey: on Redis in production, with a job taken by a worker kept in flight until it has run, so
# a killed worker's job is retried (hmskort/jobs.py); SqliteHuey embedded. Tests run tasks
# immediately, in process.
HMSKORT_JOB_LEASE_SECONDS = float(os.environ.get("HMSKORT_JOB_LEASE_SECONDS", "30"))
if REDIS_URL:
    HUEY = {
        "huey_class": "hmskort.jobs.ReliableRedisHuey",
        "name": "hmskort",
        "url": REDIS_URL,
        "lease_seconds": HMSKORT_JOB_LEASE_SECONDS,
        "immediate": TESTING,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "hmskort",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": TESTING,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Sessions and security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SESSION_COOKIE_AGE = 60 * 60 * 8
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Staff (the issuer's back office) log in with a password and a TOTP code. Failed attempts are
# counted per username and per client address (django-axes); either reaching the limit locks
# further attempts for the cool-off time.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:staff_login"
AXES_FAILURE_LIMIT = int(os.environ.get("HMSKORT_STAFF_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("HMSKORT_STAFF_LOGIN_COOLOFF", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "hmskort.accounts.staff.client_ip"
AXES_LOCKOUT_CALLABLE = "hmskort.accounts.staff_views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# TOTP codes: 30-second steps; the name shown in authenticator apps.
OTP_TOTP_ISSUER = "HMS-kort"

if TESTING:
    # Password hashing is not what the tests test; the default hasher costs ~0.3 s a call.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages: bokmål by default, English under /en/ -------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"
# Dates: nb 31.10.2028, en 31 Oct 2028, from one place (hmskort/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["hmskort.formats"]
USE_TZ = True

# --- Static and media files ----------------------------------------------------------------------
NODE_MODULES = Path(os.environ.get("HMSKORT_NODE_MODULES", BASE_DIR / "node_modules"))
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
_VENDOR_STATIC = [
    ("vendor/designsystemet", NODE_MODULES / "@digdir" / "designsystemet-css" / "dist" / "src"),
    ("vendor/arbeidstilsynet", NODE_MODULES / "@arbeidstilsynet" / "design-theme" / "brand"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/inter", NODE_MODULES / "@fontsource" / "inter"),
]
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [PACKAGE_DIR / "static"]
STATICFILES_DIRS += [(prefix, path) for prefix, path in _VENDOR_STATIC if path.exists()]
MEDIA_ROOT = VAR_DIR / "media"
# "private": photos, ID documents and card files (personal data). Never served by a public URL:
# no route serves its directory, and staff see its files only through short-lived signed links.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("HMSKORT_PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In production the private files live in an S3-compatible bucket (django-storages): private
# objects, reached only through signed URLs that expire after HMSKORT_PRIVATE_URL_SECONDS.
HMSKORT_PRIVATE_URL_SECONDS = int(os.environ.get("HMSKORT_PRIVATE_URL_SECONDS", "300"))
HMSKORT_S3_BUCKET = os.environ.get("HMSKORT_S3_BUCKET", "")
if HMSKORT_S3_BUCKET:
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": HMSKORT_S3_BUCKET,
            "location": os.environ.get("HMSKORT_S3_PREFIX", "private"),
            "endpoint_url": os.environ.get("HMSKORT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("HMSKORT_S3_REGION") or None,
            # Unset: boto3's own chain (AWS_ACCESS_KEY_ID …, an instance role).
            "access_key": os.environ.get("HMSKORT_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("HMSKORT_S3_SECRET_ACCESS_KEY") or None,
            "addressing_style": os.environ.get("HMSKORT_S3_ADDRESSING_STYLE") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": HMSKORT_PRIVATE_URL_SECONDS,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }
WHITENOISE_USE_FINDERS = DEBUG or TESTING
PILLOW_MAX_IMAGE_PIXELS = 40_000_000

# --- E-mail: printed to the console by default; SMTP when EMAIL_HOST is set ------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "hmskort@localhost")

# --- Logging: JSON lines in production, no personal data in logs (hmskort/logs.py) -------------
HMSKORT_LOG_FORMAT = os.environ.get("HMSKORT_LOG_FORMAT", "plain" if DEBUG or TESTING else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"privacy": {"()": "hmskort.logs.PrivacyFilter"}},
    "formatters": {
        "json": {"()": "hmskort.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if HMSKORT_LOG_FORMAT == "json" else "plain",
            "filters": ["privacy"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Font subsetting while rendering cards logs every glyph at INFO.
        "fontTools": {"level": "WARNING"},
        # One JSON line per request in production; the dev server logs requests itself.
        "hmskort.request": {"level": "INFO" if HMSKORT_LOG_FORMAT == "json" else "WARNING"},
    },
}
if HMSKORT_LOG_FORMAT == "json":
    from hmskort.logs import skip_unprinted_fields

    skip_unprinted_fields()

# --- hmskort ---------------------------------------------------------------------------------
HMSKORT_ISSUER_NAME = os.environ.get("HMSKORT_ISSUER_NAME", "hmskort")
# The issuer as the seller on invoices and credit notes (docs/deploy.md "Invoicing"). The
# defaults are development stand-ins (910000004 is in Brønnøysund's range for test units).
HMSKORT_ISSUER_ORGNR = os.environ.get("HMSKORT_ISSUER_ORGNR", "910000004")
HMSKORT_ISSUER_STREET = os.environ.get("HMSKORT_ISSUER_STREET", "Testveien 1")
HMSKORT_ISSUER_POSTCODE = os.environ.get("HMSKORT_ISSUER_POSTCODE", "0150")
HMSKORT_ISSUER_CITY = os.environ.get("HMSKORT_ISSUER_CITY", "Oslo")
HMSKORT_ISSUER_ACCOUNT = os.environ.get("HMSKORT_ISSUER_ACCOUNT", "12345678903")
HMSKORT_INVOICE_DUE_DAYS = int(os.environ.get("HMSKORT_INVOICE_DUE_DAYS", "14"))
# Synthetic test identities (month + 80) are accepted only where this is on.
HMSKORT_ALLOW_TEST_IDENTITIES = env_bool("HMSKORT_ALLOW_TEST_IDENTITIES", DEBUG or TESTING)
HMSKORT_CARD_VALIDITY_YEARS = 2
# Secure upload links for workers: days until they expire, wrong birth dates before the lock,
# requests per client IP and minute.
# Alert e-mails to the companies' orderers (docs/alerts.md): the daily job's local time, after
# the nightly recompute (00:05) and the register reads.
HMSKORT_ALERTS_HOUR = int(os.environ.get("HMSKORT_ALERTS_HOUR", "6"))
HMSKORT_ALERTS_MINUTE = int(os.environ.get("HMSKORT_ALERTS_MINUTE", "0"))
HMSKORT_UPLOAD_LINK_DAYS = int(os.environ.get("HMSKORT_UPLOAD_LINK_DAYS", "14"))
HMSKORT_UPLOAD_LINK_MAX_TRIES = 5
HMSKORT_UPLOAD_RATE_PER_MINUTE = int(os.environ.get("HMSKORT_UPLOAD_RATE_PER_MINUTE", "30"))

HMSKORT_OIDC_ISSUER = os.environ.get("HMSKORT_OIDC_ISSUER", "").rstrip("/")
HMSKORT_OIDC_CLIENT_ID = os.environ.get("HMSKORT_OIDC_CLIENT_ID", "")
HMSKORT_OIDC_CLIENT_SECRET = os.environ.get("HMSKORT_OIDC_CLIENT_SECRET", "")
HMSKORT_OIDC_ACR = os.environ.get("HMSKORT_OIDC_ACR", "idporten-loa-substantial")
# The local test login exists only without an OIDC issuer, and never with DEBUG off.
HMSKORT_TEST_LOGIN = DEBUG and not HMSKORT_OIDC_ISSUER
# Where ordering roles come from: "local" (demo data, `hmskort roles import`) or "brreg"
# (Enhetsregisteret's authorised roles API with a Maskinporten access token).
HMSKORT_ROLES_SOURCE = os.environ.get("HMSKORT_ROLES_SOURCE", "local")
HMSKORT_BRREG_ROLES_URL = os.environ.get(
    "HMSKORT_BRREG_ROLES_URL", "https://data.brreg.no/enhetsregisteret/autorisert-api"
).rstrip("/")
HMSKORT_BRREG_ROLES_TOKEN = os.environ.get("HMSKORT_BRREG_ROLES_TOKEN", "")

HMSKORT_BRREG_URL = os.environ.get(
    "HMSKORT_BRREG_URL", "https://data.brreg.no/enhetsregisteret/api"
).rstrip("/")
HMSKORT_RENHOLD_URL = os.environ.get("HMSKORT_RENHOLD_URL", "")
HMSKORT_BEMANNING_URL = os.environ.get("HMSKORT_BEMANNING_URL", "")
# Registers: HTTP timeout (s), retries with doubling backoff (s), and the mass-change guard (a run
# that takes a duty away from more than RATIO of the known units, and more than MIN, is held).
HMSKORT_REGISTRY_TIMEOUT = float(os.environ.get("HMSKORT_REGISTRY_TIMEOUT", "15"))
HMSKORT_REGISTRY_RETRIES = int(os.environ.get("HMSKORT_REGISTRY_RETRIES", "3"))
HMSKORT_REGISTRY_BACKOFF = float(os.environ.get("HMSKORT_REGISTRY_BACKOFF", "0.5"))
HMSKORT_REGISTRY_MASS_CHANGE_RATIO = float(
    os.environ.get("HMSKORT_REGISTRY_MASS_CHANGE_RATIO", "0.02")
)
HMSKORT_REGISTRY_MASS_CHANGE_MIN = int(os.environ.get("HMSKORT_REGISTRY_MASS_CHANGE_MIN", "20"))
# The recompute on PostgreSQL writes status history and audit rows inside the database
# (INSERT … SELECT); off, they are built in Python as on SQLite (the reference the tests compare).
HMSKORT_RECOMPUTE_IN_DATABASE = env_bool("HMSKORT_RECOMPUTE_IN_DATABASE", True)

# --- Card check and API (checks, api, integrations) ----------------------------------------------
# Anonymous checks (page, QR landing, GET /api/v1/cards/{n}) per client IP and minute.
HMSKORT_CHECK_RATE_PER_MINUTE = int(os.environ.get("HMSKORT_CHECK_RATE_PER_MINUTE", "60"))
# ... and per client IP (an IPv6 client counts by its /64) and day (days start at 00:00 UTC).
HMSKORT_CHECK_RATE_PER_DAY = int(os.environ.get("HMSKORT_CHECK_RATE_PER_DAY", "2000"))
# The anonymous API check answers from Redis (cards.checkcache): every card's answer is stored by
# an hourly job (HMSKORT_CHECK_CACHE_WARM), a check that misses stores what it read, and each
# answer lives this many seconds (0: no cache; never without Redis). The default outlives one
# missed hourly run. A change of a card's validity or state forgets the card at once after
# commit; a rename (holder, employer, card type) shows after the next hourly run.
HMSKORT_CHECK_CACHE_SECONDS = int(os.environ.get("HMSKORT_CHECK_CACHE_SECONDS", "7800"))
HMSKORT_CHECK_CACHE_WARM = env_bool("HMSKORT_CHECK_CACHE_WARM", True)
# How long after a change a check may not cache the card again; must exceed the read replica's
# lag (a check reading the replica before it has the change would cache the old answer).
HMSKORT_CHECK_CACHE_TOMBSTONE_SECONDS = int(
    os.environ.get("HMSKORT_CHECK_CACHE_TOMBSTONE_SECONDS", "30")
)
# Proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated).
HMSKORT_TRUSTED_PROXIES = env_list("HMSKORT_TRUSTED_PROXIES")
# X-Forwarded-Proto says "https" only behind a proxy that sets it: believed only when proxies are
# configured (otherwise any client could claim a secure connection).
if HMSKORT_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Webhooks: retries with exponential backoff (base, 2 x base, …) until the attempts run out.
HMSKORT_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("HMSKORT_WEBHOOK_MAX_ATTEMPTS", "8"))
HMSKORT_WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("HMSKORT_WEBHOOK_RETRY_BASE_SECONDS", "30"))
HMSKORT_WEBHOOK_TIMEOUT_SECONDS = 5
# Plain http and private addresses are for development and tests only.
HMSKORT_WEBHOOK_ALLOW_HTTP = env_bool("HMSKORT_WEBHOOK_ALLOW_HTTP", DEBUG or TESTING)
HMSKORT_WEBHOOK_ALLOW_PRIVATE = env_bool("HMSKORT_WEBHOOK_ALLOW_PRIVATE", DEBUG or TESTING)

# --- Operations: metrics ----------------------------------------------------------------------
# /metrics (Prometheus) answers a bearer token or a direct request from these networks; else 404.
HMSKORT_METRICS_TOKEN = os.environ.get("HMSKORT_METRICS_TOKEN", "")
HMSKORT_METRICS_ALLOWED_NETWORKS = env_list(
    "HMSKORT_METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128" if DEBUG else ""
)

# --- Maintenance windows (site) ------------------------------------------------------------------
# The banner announcing a window shows on every page from this many days before it starts.
HMSKORT_MAINTENANCE_NOTICE_DAYS = float(os.environ.get("HMSKORT_MAINTENANCE_NOTICE_DAYS", "7"))
# Background jobs (huey task names) that may run during a window; every other job waits for its end.
HMSKORT_MAINTENANCE_RUNNING_JOBS = env_list("HMSKORT_MAINTENANCE_RUNNING_JOBS")
