"""Settings shared by every environment, read from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "django_htmx",
    "axes",  # login throttling and lockout (AXES_* below)
    "csp",  # Content-Security-Policy header (CONTENT_SECURITY_POLICY below)
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "health_check",  # /health/… for operators (servicedesk/health.py, servicedesk/urls.py)
    "rules.apps.AutodiscoverRulesConfig",
    "accounts",
    "cases",
    "notifications",
    "risk",
    "knowledge",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "servicedesk.handlers.ApiSlashMiddleware",  # before CommonMiddleware's redirect to the slash
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "servicedesk.unavailable.DatabaseUnavailableMiddleware",  # database unreachable: 503, not a 500 page
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page / JSON
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in the ignored var/ folder unless DATABASE_URL is set.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'servicedesk.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # The running clocks' unique index carries three more columns for the supervisor dashboard on
    # PostgreSQL (cases.models.SlaTimer); SQLite cannot, and servicedesk.constraints builds it there
    # without them (Django's own would leave it out, uniqueness and all): all this warning says.
    SILENCED_SYSTEM_CHECKS = ["models.W039"]
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any other backend
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator"},  # Django's, its refusal in zh-hans too
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES (every further try restarts the wait);
# a successful login clears the count. `manage.py axes_reset` (or axes_reset_username / axes_reset_ip)
# unlocks at once. The web login shows templates/registration/locked_out.html, the token API a 429.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "servicedesk.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# No start-up banner in every command's output; failed logins and lockouts are still logged.
AXES_VERBOSE = False
# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address the
# outermost of them put into X-Forwarded-For (anything further left the client can forge).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "servicedesk.security.client_ip"
AXES_USERNAME_CALLABLE = "servicedesk.security.login_username"  # cut to the length axes records
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # each role's own home page (accounts.views.home)
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Chinese first, English available; times stored UTC, shown in Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="service@margin-desk.example")

# REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ExpiringTokenAuthentication",  # first: anonymous calls get 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # The public rating endpoints (no login) are throttled per address (cases.rating_apis): the one the
    # logins' lockout takes (TRUSTED_PROXY_COUNT above). Unset, DRF took the whole X-Forwarded-For, which
    # the caller writes.
    "DEFAULT_THROTTLE_RATES": {"anon": env("ANON_THROTTLE_RATE", default="30/min")},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# The cache behind the rate limits (the public rating endpoints' throttle) and the risk summary: set
# CACHE_URL to Redis (e.g. redis://127.0.0.1:6379/1) wherever more than one process serves requests,
# so that they count together; the default keeps it in each process's memory (the demo, tests).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
SPECTACULAR_SETTINGS = {
    # Swagger UI's files from drf-spectacular-sidecar (our static files): the CSP allows no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Margin-trading service desk API",
    "DESCRIPTION": "Cases (tickets, disputes, requests, margin calls) and credit accounts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers (400/401/403/404/409) and the fields only staff get.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "servicedesk.api_schema.document_errors"],
    # Choice sets with the same field name get stable names (else `check --deploy` warns).
    "ENUM_NAME_OVERRIDES": {
        "CaseKindEnum": "cases.models.CaseKind.choices",
        "NewCaseKindEnum": "cases.serializers.NEW_CASE_KINDS",
        "CaseChannelEnum": "cases.models.Channel.choices",
        "NewCaseChannelEnum": "cases.serializers.NEW_CASE_CHANNELS",
    },
}

# Celery: with no broker configured, tasks run in-process (eagerly) and the periodic jobs are
# driven by `manage.py run_periodic`; with CELERY_BROKER_URL set, by a worker and beat.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ROUTES = {
    "monitoring.*": {"queue": "monitoring"},
    "sla.*": {"queue": "sla"},
    "notifications.*": {"queue": "notifications"},
}
CELERY_BEAT_SCHEDULE: dict = {
    "sla-sweep": {"task": "sla.sweep", "schedule": 60.0},
    # The SLA report's tally (PostgreSQL): the minute's changes folded into a row per group and day, and month.
    "sla-fold-report-tally": {"task": "sla.fold_report_tally", "schedule": 60.0, "options": {"expires": 55}},
    "monitoring": {"task": "monitoring.periodic",
                   "schedule": crontab(minute="*/5", hour="9-15", day_of_week="mon-fri")},
    # Interest: yesterday's accrual (and any missed day) after midnight; reminders in the morning.
    "interest-accrue": {"task": "interest.accrue", "schedule": crontab(hour=0, minute=30)},
    "reminders-send": {"task": "reminders.send", "schedule": crontab(hour=8, minute=0)},
    # The outbox: whatever is still due (lost with a broker or worker, retries, quiet hours).
    "notifications-resend": {"task": "notifications.resend_pending", "schedule": 60.0},
    # Inbound e-mail: the service mailbox (IMAP_HOST; none set: the task does nothing).
    "imap-poll": {"task": "notifications.imap_poll", "schedule": 60.0, "options": {"expires": 55}},
    # Calendars: next year seeded from the `holidays` package (estimated) once missing; a supervisor confirms it.
    "calendars-seed-next-year": {"task": "calendars.seed_next_year", "schedule": crontab(hour=6, minute=15)},
    # Tickets resolved more than 7 days ago (no longer reopenable) are closed.
    "tickets-close-resolved": {"task": "cases.close_resolved_tickets", "schedule": crontab(minute=20)},
    # Return visits to every high-net-worth client, each quarter (idempotent: one per client and quarter).
    "visits-schedule-quarterly": {"task": "visits.schedule_quarterly",
                                  "schedule": crontab(day_of_month=1, month_of_year="1,4,7,10", hour=7, minute=0)},
}

# Notifications (notifications/): the outbox, its retries and the channels.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_BACKOFF = env.int("NOTIFICATION_RETRY_BACKOFF", default=60)  # seconds, doubled per attempt
NOTIFICATION_RETRY_BACKOFF_MAX = env.int("NOTIFICATION_RETRY_BACKOFF_MAX", default=3600)
# A claim older than this was left by a dead worker; keep it well above the channels' timeouts.
NOTIFICATION_CLAIM_TIMEOUT = env.int("NOTIFICATION_CLAIM_TIMEOUT", default=300)
NOTIFICATION_RECORD_RETRY = env.int("NOTIFICATION_RECORD_RETRY", default=120)  # seconds: database down after a send
NOTIFICATION_REQUEUE_AFTER = env.int("NOTIFICATION_REQUEUE_AFTER", default=120)  # a published task's grace
NOTIFICATION_RESEND_BATCH = env.int("NOTIFICATION_RESEND_BATCH", default=1000)
NOTIFICATION_SEND_TIMEOUT = env.int("NOTIFICATION_SEND_TIMEOUT", default=30)  # SMTP without EMAIL_TIMEOUT
NOTIFICATION_TIME_ZONE = "Asia/Shanghai"  # quiet hours
NOTIFICATION_MAIL_DOMAIN = env("NOTIFICATION_MAIL_DOMAIN", default=DEFAULT_FROM_EMAIL.rpartition("@")[2])
SMS_BACKEND = env("SMS_BACKEND", default="notifications.channels.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env("SMS_FILE_PATH", default="")  # console backend: append JSON lines here (e.g. var/sms.jsonl)
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_USER = env("SMS_GATEWAY_USER", default="")
SMS_GATEWAY_PASSWORD = env("SMS_GATEWAY_PASSWORD", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
# Inbound e-mail (notifications/imap.py): the service mailbox polled every minute; no IMAP_HOST, no polling.
# The name our receiving mail server gives itself in the Authentication-Results header it adds (its
# authserv-id, e.g. mx.firm.example): only its results count, and an e-mail without them is held.
INBOUND_AUTHSERV_ID = env("INBOUND_AUTHSERV_ID", default="")
IMAP_HOST = env("IMAP_HOST", default="")
IMAP_PORT = env.int("IMAP_PORT", default=None)  # none: 993 with SSL, else 143
IMAP_USER = env("IMAP_USER", default="")
IMAP_PASSWORD = env("IMAP_PASSWORD", default="")
IMAP_SSL = env.bool("IMAP_SSL", default=True)
IMAP_FOLDER = env("IMAP_FOLDER", default="INBOX")
IMAP_TIMEOUT = env.float("IMAP_TIMEOUT", default=60.0)  # seconds

# Domain defaults (PRODUCT.md); every line is configurable per contract.
MARGIN_DEFAULT_LINES = {
    "attention": "1.50",
    "warning": "1.40",
    "close_out": "1.30",
    "restore_to": "1.40",
    "withdrawal": "3.00",
}
MARGIN_HYSTERESIS = env("MARGIN_HYSTERESIS", default="0.02")
# A stress test's outreach opens its cases in the request up to this many accounts; beyond, a
# task opens them after the commit (a case takes tens of milliseconds; a request, 30 s at most).
STRESS_OUTREACH_IN_REQUEST = env.int("STRESS_OUTREACH_IN_REQUEST", default=200)

# Requests (margin-trading-facts.md §5): extension accepted in the last days before maturity, with
# interest paid and the ratio above the contract's extension line (else this default); relief
# gives a margin call more trading days (the client may ask for up to RELIEF_MAX_TRADING_DAYS).
EXTENSION_WINDOW_DAYS = env.int("EXTENSION_WINDOW_DAYS", default=15)
EXTENSION_MIN_RATIO = env("EXTENSION_MIN_RATIO", default="1.45")
EXTENSION_MONTHS = env.int("EXTENSION_MONTHS", default=6)
RELIEF_TRADING_DAYS = env.int("RELIEF_TRADING_DAYS", default=3)
RELIEF_MAX_TRADING_DAYS = env.int("RELIEF_MAX_TRADING_DAYS", default=10)

# Return visits: due this many calendar days after what caused them (on the next working day if that is none).
RETURN_VISIT_DUE_DAYS = {"dispute_resolved": 7, "liquidation": 3, "hnw_quarterly": 30}
# Satisfaction ratings: the link sent after a case is resolved works this long, once.
RATING_TOKEN_MAX_AGE_DAYS = env.int("RATING_TOKEN_MAX_AGE_DAYS", default=30)
#: An API token is good this long from when it was issued (accounts/tokens.py).
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=30)
# Where clients reach the site (links in messages).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Chinese id numbers and mobile numbers are masked in every record the handlers write.
    "filters": {"personal_data": {"()": "servicedesk.security.PersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Content-Security-Policy (django-csp 4): our own scripts, styles and images only; no inline
# script or style="" anywhere (templates pass data with json_script and data-* attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Attachments (cases/attachments.py): at most this many bytes each, types checked by content,
# stored under MEDIA_ROOT and served only by the attachment-download view (never as static files).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
