"""Settings, read from the environment so that one code base serves a laptop and production.

DEBUG defaults to on for `make run`; production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS
and DATABASE_URL, and then passes `manage.py check --deploy` without warnings.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # django.contrib.admin, with the site's navigation links resolved once per process.
    "lms_admin.plumbing.admin_site.LifecycleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "users",
    "enrollments",
    "reports",
    "imports",
    # Tooling, not product: demo and scale data (seed_demo) and the benchmarks (bench).
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "users.middleware.MustChangePasswordMiddleware",
    "users.site_url.RequestSiteUrlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "lms_admin.urls"
WSGI_APPLICATION = "lms_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "users.context_processors.site_names",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # PostgreSQL's JIT compiles any statement whose estimated cost is high, which a page
    # read in order and stopped early always looks like: 300 ms spent compiling a query
    # that runs in 1 ms. Pages of a web admin never gain from it (deploy/postgresql.conf).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # A busy timeout lets the task worker and the web server share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not shared memory, for the test database: concurrency tests run threads with
    # their own connections, and only a file honours SQLite's busy timeout between them.
    # One file per test run, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }
    # models.W040: the enrolments' covering index (enrollment_user_covering) INCLUDEs
    # columns for PostgreSQL's index-only scans; SQLite builds it on its key columns alone,
    # which is all the embedded database needs. Said once here, not on every migrate.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.auth.LifecycleBackend"]
SESSION_ENGINE = "users.sessions"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How long a temporary password handed out on reactivation stays valid.
TEMPORARY_PASSWORD_HOURS = int(os.environ.get("TEMPORARY_PASSWORD_HOURS", "72"))
# The duplicate finder's "same SIS ID pattern": the first group of this regular expression is
# the part two SIS IDs in different organisations must share (default: the ID without a
# letters prefix such as "ACME-"). PostgreSQL and Python regular expressions both read it.
DUPLICATE_SIS_ID_PATTERN = os.environ.get("DUPLICATE_SIS_ID_PATTERN", r"^(?:[A-Za-z]+[-_:])?(.+)$")
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(72 * 3600)))
# The address in password-reset links sent from background work, where no request exists.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The pages are written in English only, and Django's en-GB catalogues say what its English
# source says, so translation changes no text; turned on, it costs every page a thread-local
# lookup per translated string and per link (on the users page, 7% of its Python calls).
# Dates and numbers keep the en-GB formats either way (LANGUAGE_CODE).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "training@localhost")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True
# Every history table has its own (history_date, history_id) index (users 0009,
# enrollments 0004), which serves whatever history_date alone would; a second index on
# history_date would only slow down writing history.
SIMPLE_HISTORY_DATE_INDEX = False

# Imports: the largest file accepted, and from how many rows a file is checked and applied
# by a background worker instead of while the page waits.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
IMPORT_BACKGROUND_ROWS = int(os.environ.get("IMPORT_BACKGROUND_ROWS", "2000"))
# How many SIS imports of the API an account may have waiting or running at once.
SIS_IMPORT_MAX_PENDING = int(os.environ.get("SIS_IMPORT_MAX_PENDING", "20"))

# Sign-in and sign-out events (with addresses) are kept this many days, then purged.
AUTHENTICATION_EVENT_RETENTION_DAYS = int(
    os.environ.get("AUTHENTICATION_EVENT_RETENTION_DAYS", "365")
)
# Uploads above this size go to a temporary file instead of memory while they arrive.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Personal tokens for scripts; the session for people trying the API from the docs page.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.tokens.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "lms_admin.api.base.canvas_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LMS lifecycle admin API",
    "DESCRIPTION": (
        "A Canvas-compatible REST API for accounts, users, courses, sections and enrolments, "
        "under /api/v1/. Send `Authorization: Bearer <token>`. Ids are numbers or "
        "`sis_user_id:X`, `sis_login_id:X`, `sis_course_id:X`, `sis_section_id:X`, "
        "`sis_account_id:X`. Bodies may be JSON or form-encoded (`user[name]=...`). Lists "
        "page with `page` and `per_page` (10 by default, at most 100) and a `Link` header "
        '(`last` is left out past 10,000 rows). Errors are `{"errors": [{"message": ...}]}`.'
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Content-Security-Policy and the API docs (issue 13, items 6 and 19) ----------------
# django-csp 4 (dict format). Scripts only from our own static files: no inline script and no
# event-handler attribute anywhere (tests/lms_admin/test_security_headers.py checks each page).
# Inline *styles* stay allowed: Django admin's change list and swagger-ui write a few, and CSS
# cannot run script. The docs page serves swagger-ui from drf-spectacular-sidecar, not a CDN.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
INSTALLED_APPS += ["csp", "drf_spectacular_sidecar"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)
# --- end of Content-Security-Policy ----------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Sign-in throttle and token redaction (issue 13, items 2 and 7) -----------------------
# django-axes counts failed sign-ins in the database (shared by every app server); the
# handler in users/sign_in_throttle.py applies three limits per hour instead of axes's one:
# one account from one address, one address (bad API tokens included), one account from
# everywhere (OWASP ASVS: at most 100). README "Sign-in throttle" explains the policy.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["users.sign_in_throttle.SignInThrottleBackend", *AUTHENTICATION_BACKENDS]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes requires
AXES_HANDLER = "users.sign_in_throttle.SignInThrottleHandler"
AXES_FAILURE_LIMIT = 1  # the handler answers 1 failure when one of SIGN_IN_LIMITS is reached
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_VERBOSE = False
SIGN_IN_LIMITS = {
    "account_from_address": int(os.environ.get("SIGN_IN_LIMIT_ACCOUNT_FROM_ADDRESS", "10")),
    "address": int(os.environ.get("SIGN_IN_LIMIT_ADDRESS", "100")),
    "account": int(os.environ.get("SIGN_IN_LIMIT_ACCOUNT", "100")),
}
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused attempt does not extend it
AXES_RESET_ON_SUCCESS = False  # signing in to one's own account must not clear an address
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are counted once, in reports (SignInEvent)
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "users.sign_in_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "users.sign_in_throttle.client_address"
AXES_SENSITIVE_PARAMETERS = ["access_token"]
# Proxies in front that append to X-Forwarded-For (1 behind nginx); 0 trusts REMOTE_ADDR.
SIGN_IN_PROXY_COUNT = int(os.environ.get("SIGN_IN_PROXY_COUNT", "0"))
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["users.sign_in_throttle.SignInPauseThrottle"]
# Canvas's ?access_token= stays accepted but never reaches a log line.
LOGGING["filters"] = {"redact_tokens": {"()": "lms_admin.log_redaction.RedactAccessTokens"}}
LOGGING["handlers"]["console"]["filters"] = ["redact_tokens"]
LOGGING["loggers"] = {
    "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    # On the logger, so that every handler Django adds for it (mail_admins) sees it redacted.
    "django.request": {"filters": ["redact_tokens"]},
}
# ------------------------------------------------------------------------------------------

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    X_FRAME_OPTIONS = "DENY"
