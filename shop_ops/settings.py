"""ShopOps settings: every value that differs between machines comes from the environment (see .env.example)."""

from __future__ import annotations

import datetime
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE as _CSP_NONE
from csp.constants import SELF as _CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from inventory.schedule import BEAT_SCHEDULE as INVENTORY_SCHEDULE
from payroll.schedule import BEAT_SCHEDULE as PAYROLL_SCHEDULE
from roles.schedule import BEAT_SCHEDULE as ROLES_SCHEDULE

from .env import (
    env,
    read_bool,
    read_database,
    read_fernet_keys,
    read_hash_key,
    read_int,
    read_list,
    read_time_zone,
    read_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = read_bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY is required when DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "django-insecure-local-development-only-not-for-production"  # noqa: S105
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Environment variable SECRET_KEY must be at least 50 characters when DEBUG is off.")

# Bank account and ID numbers are stored encrypted (shop_ops/encryption.py): new values under the first key,
# reading tries all, `manage.py rotate_encryption_keys` moves every stored value to the first. With DEBUG on and
# no variable, keys derived from SECRET_KEY (development only: data written with them needs the same SECRET_KEY).
FIELD_ENCRYPTION_KEYS = read_fernet_keys("FIELD_ENCRYPTION_KEYS", required=not DEBUG, secret_key=SECRET_KEY)
FIELD_HASH_KEY = read_hash_key("FIELD_HASH_KEY", required=not DEBUG, secret_key=SECRET_KEY)

ALLOWED_HOSTS = read_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Environment variable ALLOWED_HOSTS is required when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = read_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_celery_beat",
    "csp",
    "shop_ops",
    "accounts",
    "roles",
    "payroll",
    "inventory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy headers on every response (settings under "Security").
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every error under /api/ in the API's JSON shape, also Django's own pages (DEBUG's 404 and 500, CSRF failure).
    "shop_ops.api.ApiErrorsAsJsonMiddleware",
    # A request that finds the database down gets a clean 503 page (JSON under /api/), not a 500 traceback.
    "shop_ops.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Finance, Manager and superusers finish signing in with a two-factor code before any other page (OTP_REQUIRED).
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Oversized or too deeply nested bodies and hostile query values are refused before any view, parser or
    # token authentication reads them (400/413; shop_ops/guards.py holds the limits).
    "shop_ops.middleware.RequestGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lock-out response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend that reads the signed-in user with employee, role and groups in one query.
    "shop_ops.auth.ModelBackend",
]
# Django's database sessions, read with a query compiled once per process (shop_ops/sessions.py).
SESSION_ENGINE = "shop_ops.sessions"

ROOT_URLCONF = "shop_ops.urls"
WSGI_APPLICATION = "shop_ops.wsgi.application"

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
                "django.template.context_processors.i18n",
                "roles.context_processors.access",
                "shop_ops.context_processors.navigation",
            ],
            # |money and |localized on every page without {% load %}: one format for amounts and names.
            "builtins": ["shop_ops.templatetags.shop_ops_format"],
        },
    },
]

DATABASES = {"default": read_database("DATABASE_URL", default_sqlite=BASE_DIR / "db.sqlite3")}
DATABASES["default"]["CONN_MAX_AGE"] = read_int("DB_CONN_MAX_AGE", default=60)
# A connection kept across requests is checked before reuse, so the first request after a PostgreSQL restart
# reconnects instead of failing; a database that does not answer fails the request after DB_CONNECT_TIMEOUT.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = read_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
    # Parameters travel apart from the SQL, so the same query has the same text every time and psycopg prepares
    # it on the connection after a few runs: PostgreSQL then skips parsing and planning (most of its work for
    # the small queries of a page). Off for a pooler in transaction mode (PgBouncer), which cannot keep them.
    if read_bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
# How the jobs' bulk statements are sent (shop_ops/plans.py): unprepared (default: each planned for its own
# values), or auto to prepare them like every other statement (for comparing with `make bench`).
DB_JOB_PLAN_MODE = env.str("DB_JOB_PLAN_MODE", default="unprepared")
if DB_JOB_PLAN_MODE not in {"unprepared", "auto"}:
    raise ImproperlyConfigured("DB_JOB_PLAN_MODE must be unprepared or auto.")
# How many database connections a job spreads its independent bulk statements over (shop_ops/plans.py,
# `run_spread`): PostgreSQL runs each statement on one core, so 2 uses two. 1 runs them one after another.
DB_JOB_CONNECTIONS = read_int("DB_JOB_CONNECTIONS", 2, minimum=1)
if not 1 <= DB_JOB_CONNECTIONS <= 16:
    raise ImproperlyConfigured("DB_JOB_CONNECTIONS must be between 1 and 16.")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several requests (and the live-server browser tests) share the file; wait for a lock instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one login name from one address,
# that pair is locked for AXES_COOLOFF_MINUTES; a successful login resets the count.
AXES_ENABLED = read_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = read_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=read_int("AXES_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address for the lock-out. Behind TRUSTED_PROXY_COUNT proxies (docker-compose's Caddy: 1) it is the
# entry that the outermost trusted proxy wrote into X-Forwarded-For (the nth from the right); with 0 it is the
# connecting address and X-Forwarded-For is ignored, so a client can neither dodge the lock-out nor lock out
# someone else by sending the header. (django-ipware, which the AXES_IPWARE_* settings configure, is not
# installed; axes would fall back to REMOTE_ADDR. This callable takes precedence in axes either way.)
TRUSTED_PROXY_COUNT = read_int("TRUSTED_PROXY_COUNT", default=0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"

# API tokens (django-rest-knox): stored as SHA-512 digests, valid for API_TOKEN_TTL_HOURS (default 10: a shop
# shift and a half), refused once the password changes, ended when the login is deactivated or leaves.
API_TOKEN_TTL_HOURS = read_int("API_TOKEN_TTL_HOURS", default=10, minimum=1)
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 (a model name)
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": datetime.timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Two-factor sign-in (django-otp, TOTP with backup codes) for Finance, Manager and superusers. On by default in
# production; off by default with DEBUG, so the demo (`make run`) and the tests sign in with passwords alone.
OTP_REQUIRED = read_bool("OTP_REQUIRED", default=not DEBUG)

# /health/ tells anyone only ok/unavailable (and 200/503); the job backlog and which service is down go to a
# signed-in manager or a monitor sending this token in the X-Health-Token header (empty: managers only).
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")
OTP_TOTP_ISSUER = "ShopOps"

LOGIN_URL = "login"
# Signing in leads to where each person's day starts (roles.permissions.start_page), unless `next` says where.
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = read_time_zone("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Files the app writes (inventory's Excel exports); served only through views that check permissions, never by URL.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG

# Uploaded spreadsheets (every import reads them through shop_ops/uploads.py): limits enforced while reading, so a
# hostile file is refused at the first one it breaks. Django's own request limits stay above these (uploaded files
# are not counted in DATA_UPLOAD_MAX_MEMORY_SIZE; FILE_UPLOAD_MAX_MEMORY_SIZE only moves a big file to disk).
UPLOAD_MAX_BYTES = read_int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024, minimum=1024)
UPLOAD_MAX_UNZIPPED_BYTES = read_int("UPLOAD_MAX_UNZIPPED_BYTES", default=64 * 1024 * 1024, minimum=1024)
UPLOAD_MAX_MEMBER_BYTES = read_int("UPLOAD_MAX_MEMBER_BYTES", default=16 * 1024 * 1024, minimum=1024)
UPLOAD_MAX_ZIP_MEMBERS = read_int("UPLOAD_MAX_ZIP_MEMBERS", default=200, minimum=10)
UPLOAD_MAX_ROWS = read_int("UPLOAD_MAX_ROWS", default=20_000, minimum=1)
UPLOAD_MAX_COLUMNS = read_int("UPLOAD_MAX_COLUMNS", default=50, minimum=5)
UPLOAD_MAX_CELLS = read_int("UPLOAD_MAX_CELLS", default=200_000, minimum=100)
UPLOAD_MAX_TEXTS = read_int("UPLOAD_MAX_TEXTS", default=100_000, minimum=100)
UPLOAD_MAX_CELL_CHARS = read_int("UPLOAD_MAX_CELL_CHARS", default=2000, minimum=200)
UPLOAD_MAX_LINE_CHARS = read_int("UPLOAD_MAX_LINE_CHARS", default=100_000, minimum=1000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: the values `manage.py check --deploy` asks for when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp): scripts, styles, fonts and requests from this site only, and no inline
# scripts, on*= attributes or style attributes anywhere (templates use static/js/app.js and static/css/). An
# injected <script> or onerror= is not run even if escaping ever failed. CSP_REPORT_ONLY=true sends the policy as
# Content-Security-Policy-Report-Only (to try a change without breaking pages); CSP_REPORT_URI collects reports.
_CSP_DIRECTIVES = {
    "default-src": [_CSP_SELF],
    "script-src": [_CSP_SELF],
    "style-src": [_CSP_SELF],
    "img-src": [_CSP_SELF, "data:"],  # Pico's and Swagger UI's small icons are data: URLs
    "font-src": [_CSP_SELF],
    "connect-src": [_CSP_SELF],
    "object-src": [_CSP_NONE],
    "base-uri": [_CSP_SELF],
    "form-action": [_CSP_SELF],
    "frame-ancestors": [_CSP_NONE],
}
_CSP_REPORT_URI = read_url("CSP_REPORT_URI", schemes={"https", "http"})
if _CSP_REPORT_URI:
    _CSP_DIRECTIVES["report-uri"] = [_CSP_REPORT_URI]
_CSP_REPORT_ONLY = read_bool("CSP_REPORT_ONLY", default=False)
CONTENT_SECURITY_POLICY = None if _CSP_REPORT_ONLY else {"DIRECTIVES": _CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES} if _CSP_REPORT_ONLY else None

# Permissions-Policy (django-permissions-policy): browser features the site never uses are switched off for it and
# anything it might embed. The camera stays available to this site alone, for scanning barcodes with a phone in
# the warehouse (the browser still asks the person); passkeys (publickey-credentials-*) stay with this site too.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "bluetooth": [],
    "camera": ["self"],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
if not DEBUG:
    SECURE_SSL_REDIRECT = read_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # container health checks talk plain HTTP on loopback
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = read_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Request bodies: a JSON or form body larger than this is refused with 413 before it is read (Django's own limit,
# which DRF's parsers would otherwise bypass). Multipart uploads may be larger, up to REQUEST_MAX_UPLOAD_BYTES,
# which must stay above every import's own file limit (5 MB) so those answer with their own message.
DATA_UPLOAD_MAX_MEMORY_SIZE = read_int("REQUEST_MAX_BODY_BYTES", default=2_621_440, minimum=1024)
REQUEST_MAX_UPLOAD_BYTES = read_int("REQUEST_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024, minimum=1024)

# REST API
REST_FRAMEWORK = {
    # Token first: an unauthenticated request then gets 401 with `WWW-Authenticate: Token`, not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "shop_ops.api.StrictDjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "shop_ops.api.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "shop_ops.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shop_ops.api.exception_handler",
    # JSON only: form-encoded bodies have HTML-form semantics in DRF (an empty field in a PATCH is silently
    # ignored). File uploads declare MultiPartParser on their own views.
    "DEFAULT_PARSER_CLASSES": ["shop_ops.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ShopOps API",
    "DESCRIPTION": "Departments, roles and employees of the shop; checklists, payroll and warehouse follow.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shop_ops.api.document_error_responses",
    ],
    # Several models have a `status` field with their own choices: name each enum after its choice set.
    "ENUM_NAME_OVERRIDES": {
        "EmployeeStatusEnum": "roles.choices.EmployeeStatus",
        "ChecklistItemStatusEnum": "roles.choices.ItemStatus",
        "StockCountStatusEnum": "inventory.choices.CountStatus",
        "LossReportStatusEnum": "inventory.choices.LossReportStatus",
        "PurchaseRequestStatusEnum": "inventory.choices.PurchaseRequestStatus",
        "OrderStatusEnum": "inventory.choices.OrderStatus",
        "PayrollRunStatusEnum": "payroll.choices.RunStatus",
        "ComponentKindEnum": "payroll.choices.ComponentKind",
        "AdjustmentKindEnum": "payroll.choices.AdjustmentKind",
    },
}

# Celery: without a broker URL the tasks run eagerly in-process, so a bare machine needs no Redis.
CELERY_BROKER_URL = read_url("CELERY_BROKER_URL", schemes={"redis", "rediss", "amqp", "memory"})
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
if CELERY_BROKER_URL is None:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = read_url("CELERY_RESULT_BACKEND", schemes={"redis", "rediss"}) or "cache+memory://"
else:
    CELERY_RESULT_BACKEND = read_url("CELERY_RESULT_BACKEND", schemes={"redis", "rediss"}) or (
        CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None
    )
CELERY_TIMEZONE = TIME_ZONE
# Queues: payroll runs and stock jobs (count close, exports) each have their own, so a long export never delays
# the checklist job or a tick-driven task on the default queue. docker-compose.yml runs a worker per queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "payroll.*": {"queue": env.str("CELERY_PAYROLL_QUEUE", default="payroll")},
    "inventory.*": {"queue": env.str("CELERY_STOCK_QUEUE", default="stock")},
}
# With Redis, a task taken by a worker that then dies is handed out again after this many seconds; it must be
# longer than the longest task (a 100,000-person payroll run), or a running task could be started twice. The
# consuming worker restores such tasks when it starts and then about every 100 s (kombu); the fault tests in
# tests/integration run their workers with a few seconds.
# A broker that does not answer must not hold a request: connecting gives up after CELERY_PUBLISH_TIMEOUT seconds
# and publishing retries CELERY_PUBLISH_RETRIES times, then the message waits in the outbox (shop_ops/jobs.py).
CELERY_BROKER_CONNECTION_TIMEOUT = read_int("CELERY_PUBLISH_TIMEOUT", default=1, minimum=1)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": read_int("CELERY_PUBLISH_RETRIES", default=2),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": read_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=1),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat keeps its schedule in the database (django-celery-beat): CELERY_BEAT_SCHEDULE below is copied in at start,
# and managers can pause or move a job in the admin without a deploy.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Each app lists its jobs in <app>/schedule.py (plain data, no models), merged here into one schedule.
CELERY_BEAT_SCHEDULE = {
    "healthcheck-every-10-minutes": {
        "task": "shop_ops.healthcheck",
        "schedule": crontab(minute="*/10"),
    },
    # Job messages the broker could not take (it was down) are sent once it is back.
    "flush-job-outbox-every-minute": {
        "task": "shop_ops.flush_job_outbox",
        "schedule": crontab(),
    },
    **ROLES_SCHEDULE,
    **PAYROLL_SCHEDULE,
    **INVENTORY_SCHEDULE,
}
# Payroll: the day of the month (1-28) on which beat starts the previous month's payroll run.
PAYROLL_RUN_DAY = read_int("PAYROLL_RUN_DAY", default=5, minimum=1)
if PAYROLL_RUN_DAY > 28:
    raise ImproperlyConfigured("Environment variable PAYROLL_RUN_DAY must be between 1 and 28.")
# Employees computed and stored per transaction of a payroll run (memory per batch vs. progress granularity).
PAYROLL_BATCH_SIZE = read_int("PAYROLL_BATCH_SIZE", default=2000, minimum=1)

# Payroll: a run with at most this many payslips is exported to Excel at once (the browser downloads it); a larger
# one is written by a Celery job on the payroll queue while the run's page shows its progress.
PAYROLL_EXPORT_INLINE_MAX = read_int("PAYROLL_EXPORT_INLINE_MAX", default=2000, minimum=0)
# Payroll workbooks hold every salary and bank account: a nightly job removes each file this many days after it
# was written, or as soon as the run is computed again (the export's record stays: who exported what, and when).
PAYROLL_EXPORT_KEEP_DAYS = read_int("PAYROLL_EXPORT_KEEP_DAYS", default=7, minimum=1)

# Inventory: the day of the month the monthly stock count opens (0 = the last day of the month).
INVENTORY_COUNT_DAY = read_int("INVENTORY_COUNT_DAY", default=0)
# Lines corrected per transaction when a big count closes as a job.
INVENTORY_COUNT_CLOSE_CHUNK = read_int("INVENTORY_COUNT_CLOSE_CHUNK", default=500, minimum=1)

LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"Environment variable LOG_FORMAT={LOG_FORMAT!r} must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "shop_ops.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
