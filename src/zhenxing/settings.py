"""The one settings module. The environment is read here and only here.

Every variable is documented in `.env.example`; a test checks that the two agree.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_int(name: str, default: int) -> int:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"环境变量 {name} 应为非负整数，现为“{value}”。")
    return int(value)


# --- environment -----------------------------------------------------------------
DEBUG = _env_bool("ZHENXING_DEBUG", False)
DATA_DIR = Path(os.environ.get("ZHENXING_DATA_DIR") or PROJECT_DIR / "var")
SECRET_KEY = os.environ.get("ZHENXING_SECRET_KEY", "")
if not SECRET_KEY:
    # pytest imports settings before any conftest can set ZHENXING_TESTING.
    if bool(os.environ.get("ZHENXING_TESTING")) or "pytest" in sys.modules:
        SECRET_KEY = "zhenxing-insecure-test-key-do-not-use-in-production"
    else:
        # Made by the first command that needs it, then shared by every process on the
        # same data directory (web servers, worker, CLI): nothing to set by hand.
        from zhenxing.core.secret_key import SecretKeyUnavailable, load_or_create

        try:
            if DATA_DIR.is_dir():
                SECRET_KEY = load_or_create(DATA_DIR)
            else:
                # No data directory yet: nothing stored to sign for, and a command run by
                # mistake must not leave a directory behind. `migrate` and `demo` make the
                # directory and write the key (cli._migrate) for every later process.
                import secrets

                SECRET_KEY = secrets.token_urlsafe(50)
        except SecretKeyUnavailable as exc:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(str(exc)) from exc
ALLOWED_HOSTS = _env_list("ZHENXING_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
DATABASE_URL = os.environ.get("ZHENXING_DATABASE_URL", "")
# The demo's "today": report locks, overdue marks and expiry reminders are computed against it.
TODAY_OVERRIDE = os.environ.get("ZHENXING_TODAY", "")
SECURE_COOKIES = _env_bool("ZHENXING_SECURE_COOKIES", False)
CITY_NAME = os.environ.get("ZHENXING_CITY_NAME", "营口市")
PLATFORM_NAME = os.environ.get("ZHENXING_PLATFORM_NAME", "营口市产业发展服务平台")
# The same names for English readers (the top bar, page titles).
CITY_NAME_EN = os.environ.get("ZHENXING_CITY_NAME_EN", "Yingkou")
PLATFORM_NAME_EN = os.environ.get(
    "ZHENXING_PLATFORM_NAME_EN", "Yingkou Industrial Development Service Platform"
)
TASKS_IMMEDIATE = _env_bool("ZHENXING_TASKS_IMMEDIATE", False)
# A policy run whose worker has not beaten its heartbeat for this many seconds lost its
# worker (killed, machine restarted): it is marked failed and may be started again.
RUN_STALE_SECONDS = int(os.environ.get("ZHENXING_RUN_STALE_SECONDS") or "120")
# A monthly report more than this many times the project's usual month (the median of its
# earlier reported months) needs a confirmation (as does one above the remaining investment).
REPORT_UNUSUAL_FACTOR = float(os.environ.get("ZHENXING_REPORT_UNUSUAL_FACTOR") or "5")
# One JSON line per request on stderr (time, request id, method, path, status, duration,
# user id, remote address), for a log collector. See core/request_log.py.
JSON_LOG = _env_bool("ZHENXING_JSON_LOG", False)

# --- applications ----------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    # before django_tasks_db: its `db_worker` (with a heartbeat) replaces theirs
    "zhenxing.worker",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from local static files, never a CDN
    "zhenxing.core",
    "zhenxing.clusters",
    "zhenxing.enterprises",
    "zhenxing.projects",
    "zhenxing.policies",
]

MIDDLEWARE = [
    # first: the request id and the request's log line cover everything below
    "zhenxing.core.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "zhenxing.core.middleware.ApiProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "zhenxing.core.security_events.SessionTimeoutMiddleware",
    "zhenxing.core.middleware.ScopingMiddleware",
]

ROOT_URLCONF = "zhenxing.urls"
WSGI_APPLICATION = "zhenxing.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "zhenxing.core.context_processors.platform",
            ],
        },
    },
]

# --- database --------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "zhenxing.core.sqlite",
            "NAME": str(DATA_DIR / "zhenxing.sqlite3"),
            "OPTIONS": {
                # WAL lets the worker and the web server write without blocking readers.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite plus the ledger's wiping gate (core/db.py), for a sqlite:// URL too.
    DATABASES["default"]["ENGINE"] = "zhenxing.core.sqlite"
if DATABASES["default"]["ENGINE"] == "zhenxing.core.sqlite":
    # Tests on SQLite run in memory, as with Django's own engine: pytest-django knows that
    # only by the engine's name and would otherwise make a file name of the path for
    # each xdist worker ("test_/…/zhenxing.sqlite3_gw0").
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication and security -------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- security controls (sessions, tokens, proxies, HSTS, backups; docs/security-settings.md)
# A session ends after this long without a request (ZHENXING_SESSION_SECONDS, the old
# name, means the same) and, whatever the activity, this long after sign-in
# (core.security_events.SessionTimeoutMiddleware).
SESSION_IDLE_SECONDS = int(
    os.environ.get("ZHENXING_SESSION_IDLE_SECONDS")
    or os.environ.get("ZHENXING_SESSION_SECONDS")
    or str(30 * 60)
)
SESSION_MAX_SECONDS = int(os.environ.get("ZHENXING_SESSION_MAX_SECONDS") or str(8 * 3600))
# the stored session outlives its last write by the idle time (then `clearsessions` drops it)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# API tokens expire after this many days unless made with another lifetime.
TOKEN_DAYS = int(os.environ.get("ZHENXING_TOKEN_DAYS") or "90")
# How many proxies of ours stand in front of the app (each appends to X-Forwarded-For);
# 0: the peer address is the client's and X-Forwarded-For is not believed.
TRUSTED_PROXY_COUNT = int(os.environ.get("ZHENXING_TRUSTED_PROXY_COUNT") or "0")
AXES_CLIENT_IP_CALLABLE = "zhenxing.core.net.client_address"
# Behind a proxy that terminates TLS: believe its X-Forwarded-Proto, and send cookies
# over HTTPS only.
BEHIND_TLS_PROXY = _env_bool("ZHENXING_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES or BEHIND_TLS_PROXY
# Strict-Transport-Security max-age in seconds (0: no header); set only once HTTPS works.
SECURE_HSTS_SECONDS = int(os.environ.get("ZHENXING_HSTS_SECONDS") or "0")
# The API's reference page (/api/v1/docs) and schema for signed-in users only.
API_DOCS_SIGNED_IN = _env_bool("ZHENXING_API_DOCS_SIGNED_IN", False)
# Key that encrypts backups (urlsafe base64 of 32 bytes; `zhenxing backup --new-key`).
BACKUP_KEY = os.environ.get("ZHENXING_BACKUP_KEY", "")
# --- end of security controls
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- internationalisation --------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_overrides"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- serving (`./zx serve`: gunicorn and the supervised worker, zhenxing.serving) -------
# 0 = from the number of cores. Read by zhenxing.serving, not by Django.
SERVE_WORKERS = _env_int("ZHENXING_WORKERS", 0)
SERVE_THREADS = _env_int("ZHENXING_THREADS", 0)
SERVE_REQUEST_TIMEOUT = _env_int("ZHENXING_REQUEST_TIMEOUT", 60)

# --- background work -------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TASKS_IMMEDIATE
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# --- imports and rate limits -----------------------------------------------------
# An uploaded sheet is bounded before it is read (core/sheets.py): its size, what its zip
# members unpack to (a "zip bomb"), and the rows below its header (counted while reading).
IMPORT_MAX_BYTES = int(float(os.environ.get("ZHENXING_IMPORT_MAX_MB") or "20") * 1024 * 1024)
IMPORT_MAX_UNPACKED_BYTES = int(
    float(os.environ.get("ZHENXING_IMPORT_MAX_UNPACKED_MB") or "200") * 1024 * 1024
)
IMPORT_MAX_ROWS = int(os.environ.get("ZHENXING_IMPORT_MAX_ROWS") or "200000")
# A file over either bound is imported by the background worker, with a progress page;
# smaller ones are imported during the request.
IMPORT_BACKGROUND_BYTES = int(
    float(os.environ.get("ZHENXING_IMPORT_BACKGROUND_KB") or "512") * 1024
)
IMPORT_BACKGROUND_ROWS = int(os.environ.get("ZHENXING_IMPORT_BACKGROUND_ROWS") or "2000")
# Uploads waiting for the worker; each is deleted once imported.
IMPORT_DIR = DATA_DIR / "imports"
# Per user, django-ratelimit's "count/period" (s, m, h, d): uploads of any import, and
# Excel/CSV exports of lists and documents. Over it: 429 with Retry-After.
RATE_LIMIT_IMPORTS = os.environ.get("ZHENXING_RATE_LIMIT_IMPORTS") or "30/h"
RATE_LIMIT_EXPORTS = os.environ.get("ZHENXING_RATE_LIMIT_EXPORTS") or "120/h"
# The counters live in files in the data directory: shared by every gunicorn process and
# by several app servers on one data directory (locmem is per process, so each process
# would count alone), and they take no write lock on SQLite. Its increments are not
# atomic, so two requests at the same instant may count once: a limit that is exceeded
# by one or two at worst, which throttling tolerates (django-ratelimit's own check, which
# asks for memcached or Redis, is not installed for that reason: no extra service to run).
# The timeout outlives the longest window: an increment rewrites the entry with it.
CACHES = {
    "default": {
        "BACKEND": "zhenxing.core.cache.FileCache",
        "LOCATION": str(DATA_DIR / "cache"),
        "TIMEOUT": 2 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True  # an unwritable cache must not stop every import

# --- API ---------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 1000
NINJA_PAGINATION_CLASS = "zhenxing.core.pagination.BoundedLimitOffsetPagination"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"bare": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "request_lines": {"class": "logging.StreamHandler", "formatter": "bare"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "zhenxing.requests": {
            "handlers": ["request_lines"],
            "level": "INFO" if JSON_LOG else "WARNING",
            "propagate": False,
        },
    },
}
