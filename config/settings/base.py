"""Settings shared by every environment; each value that varies comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config import embedded
from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = embedded.VAR_DIR

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost")
PLATFORM_NAME = "Countersign"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"])

# --- Applications: public schema (shared) and tenant schemas -------------------------------------
# auth, contenttypes, sessions, guardian and auditlog are in both lists: rows land in the schema
# of the current connection, so partner staff live in public and tenant staff in their tenant.
SHARED_APPS = [
    "django_tenants",
    "apps.core",
    "apps.tenants",
    "apps.timers",
    "apps.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "auditlog",
    "apps.audit",
    # Also a tenant app: in public its rows are the partners' own IdPs (partner console SSO).
    "apps.identity",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "guardian",
    "auditlog",
    "apps.audit",
    "apps.accounts",
    "apps.people",
    "apps.workflows",
    "apps.approvals",
    "apps.sla",
    "apps.notifications",
    "apps.integrations",
    "apps.integrations.erp",
    "apps.integrations.payers",
    "apps.api",
    "apps.insights",
    "apps.assist",
    "apps.scim",
    "apps.identity",
    # MFA devices and sign-in attempts belong to users, who live in each tenant's schema.
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New tenants are cloned from this template schema (migrations only build/upgrade the template).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Schemas cloned ahead of time that tenant creation renames instead of cloning (0: always clone).
TENANT_SCHEMA_POOL_SIZE = env_int("TENANT_SCHEMA_POOL_SIZE", 3, minimum=0)
# Set search_path once per tenant switch, not before every query (halves the statements).
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DEFAULT_NOT_FOUND_TENANT_VIEW = "apps.core.views.UnknownHostView"

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.InputLimitsMiddleware",  # 413 / 400 before any view (docs/security.md)
    "apps.tenants.middleware.TenantHostMiddleware",  # django-tenants' host lookup
    "apps.tenants.middleware.TenantAccessMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.core.middleware.TimeZoneMiddleware",  # pages in the reader's zone (docs/time-zones.md)
    "apps.accounts.security.MfaEnrolmentRequiredMiddleware",
    "apps.core.middleware.SessionTenantGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.security.SessionInactivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.audit.middleware.ActionOriginMiddleware",
    "axes.middleware.AxesMiddleware",
    "apps.core.middleware.CountersignErrorMiddleware",
]

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
                "apps.core.context_processors.branding",
            ],
            "builtins": ["apps.core.templatetags.when"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database ------------------------------------------------------------------------------------
# Two roles (docs/security.md#database-roles). The application role (DATABASE_URL) serves web, API
# and workers: it owns nothing, is no superuser and cannot change or remove audit rows. The owner
# role (DATABASE_OWNER_URL) runs migrations, the template schema, backups and restores and audit
# purges: manage.py connects as it for those commands (COUNTERSIGN_DB_ROLE=owner). Tenant
# creation and the schema pool work as the application role, through functions the owner made.
DATABASE_ROLE = env_str("COUNTERSIGN_DB_ROLE", "app")
if DATABASE_ROLE not in ("app", "owner"):
    raise ImproperlyConfigured("COUNTERSIGN_DB_ROLE is `app` (the default) or `owner`.")
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL", "") or DATABASE_URL
# Starting with a superuser DATABASE_URL is refused in production unless this is on.
DATABASE_ALLOW_SUPERUSER = env_bool("DATABASE_ALLOW_SUPERUSER", False)
DATABASE_ROLE_ENFORCED = False  # production refuses to start; development warns
if DATABASE_URL:
    _app_database = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
    _owner_database = dj_database_url.parse(DATABASE_OWNER_URL, conn_max_age=60)
    DATABASES = {"default": _owner_database if DATABASE_ROLE == "owner" else _app_database}
    DATABASES["default"]["ENGINE"] = "apps.core.postgres"
    if os.environ.get("COUNTERSIGN_DB_NAME"):  # helper processes of the tests: the test database
        DATABASES["default"]["NAME"] = os.environ["COUNTERSIGN_DB_NAME"]
    DATABASE_APP_ROLE = str(_app_database.get("USER") or "")
    DATABASE_OWNER = {k: _owner_database.get(k) for k in ("USER", "PASSWORD", "HOST", "PORT")}
else:
    DATABASES = {
        "default": {  # type: ignore[typeddict-unknown-key]  # EMBEDDED is ours
            "ENGINE": "apps.core.postgres",
            "NAME": embedded.DATABASE_NAME,  # COUNTERSIGN_DB_NAME overrides
            "USER": embedded.OWNER_ROLE if DATABASE_ROLE == "owner" else embedded.APP_ROLE,
            "HOST": "",
            "EMBEDDED": True,
            "CONN_MAX_AGE": 60,
        }
    }
    DATABASE_APP_ROLE = embedded.APP_ROLE
    DATABASE_OWNER = {"USER": embedded.OWNER_ROLE, "PASSWORD": None, "HOST": "", "PORT": None}
# More tenant clusters (docs/scaling.md): DATABASE_URL_<NAME> adds the alias "<name>" (lower
# case), with DATABASE_OWNER_URL_<NAME> for the owner role. The directory (public schema) stays
# on "default", which holds tenants too.
for _key, _url in sorted(os.environ.items()):
    if not _key.startswith("DATABASE_URL_") or not _url:
        continue
    _alias = _key.removeprefix("DATABASE_URL_").lower()
    if _alias in ("default", "directory") or not _alias.isidentifier():
        raise ImproperlyConfigured(f"{_key}: the cluster name must be a plain word, not {_alias}.")
    _owner_url = env_str(f"DATABASE_OWNER_URL_{_alias.upper()}", "") or _url
    DATABASES[_alias] = dj_database_url.parse(
        _owner_url if DATABASE_ROLE == "owner" else _url, conn_max_age=60
    )
    DATABASES[_alias]["ENGINE"] = "apps.core.postgres"
# Embedded tenant clusters beside the embedded default (development and tests): each name runs
# its own server in var/pg-<name> with the same roles and database name.
if DATABASES["default"].get("EMBEDDED"):
    for _name in env_list("COUNTERSIGN_EMBEDDED_CLUSTERS", []):
        DATABASES[_name] = {  # type: ignore[typeddict-unknown-key]  # EMBEDDED_DATA_DIR is ours
            **DATABASES["default"],
            "EMBEDDED_DATA_DIR": str(embedded.VAR_DIR / f"pg-{_name}"),
        }
# Clusters that take no new tenants unless named (a cluster being drained, or full).
TENANT_CLUSTERS_CLOSED = env_list("TENANT_CLUSTERS_CLOSED", [])
# migrate_schemas visits only the tenants of the cluster it runs on (migrate_clusters: each).
GET_EXECUTOR_FUNCTION = "apps.core.postgres.migration_executors.cluster_executor"
DATABASE_ROUTERS = [
    "apps.core.postgres.clusters.ClusterRouter",  # shared-only apps to the directory
    "django_tenants.routers.TenantSyncRouter",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker --------------------------------------------------------------
# One Redis for both (REDIS_URL), or separate instances (CACHE_URL, CELERY_BROKER_URL). Neither is
# needed to answer a request: throttling fails open to a per-process limit and queued work waits
# in the database for the sweeps (docs/operations.md, "Redis outage").
REDIS_URL = env_str("REDIS_URL", "")
CACHE_REDIS_URL = env_str("CACHE_URL", "") or REDIS_URL
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or REDIS_URL
if not CACHE_REDIS_URL or not CELERY_BROKER_URL:
    _socket = embedded.redis_socket()
    CACHE_REDIS_URL = CACHE_REDIS_URL or f"unix://{_socket}?db=0"
    CELERY_BROKER_URL = CELERY_BROKER_URL or f"redis+socket://{_socket}"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        # Keys carry the schema name so tenants never read each other's cache.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        # A hung Redis must not hold a request: give up within a second and degrade.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# A broker outage must not stall the state change that queues work: publishing gives up fast
# and the outbox / timer sweeps send what was not queued once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# tenant-schemas-celery loads the task's tenant row once per task unless cached; a few seconds
# spares a query per task on busy tenants (a suspension reaches running workers that late).
CELERY_TASK_TENANT_CACHE_SECONDS = env_int("CELERY_TENANT_CACHE_SECONDS", 10, minimum=0)

# --- Links in emails -----------------------------------------------------------------------------
# Absolute links in notifications are built as <SITE_SCHEME>://<tenant host>[:SITE_PORT]/...
SITE_SCHEME = env_str("SITE_SCHEME", "https")
SITE_PORT = env_int("SITE_PORT", 0, minimum=0) or None

# --- Outbound HTTP ------------------------------------------------------------------------------
# Webhooks and ERP connectors refuse hosts that resolve to loopback, private, link-local (cloud
# metadata) or reserved addresses unless allowed here (an ERP on the hospital's own network).
ERP_ALLOW_PRIVATE_HOSTS = env_bool("ERP_ALLOW_PRIVATE_HOSTS", False)
# Payers' PAS endpoints on a private network (or the test suite's fake payer on loopback).
PAYERS_ALLOW_PRIVATE_HOSTS = env_bool("PAYERS_ALLOW_PRIVATE_HOSTS", False)
# How far past its original due time a request clock may be extended in all (prior
# authorizations: 14 days, CMS-0057-F, whatever this says).
SLA_EXTENSION_MAX_DAYS = env_int("SLA_EXTENSION_MAX_DAYS", 30, minimum=1)

# --- Secrets at rest (webhook keys, connector credentials) ---------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation: put the new key first,
# run `manage.py secrets_rotate`, then drop the old one).
SECRETS_ENCRYPTION_KEYS = env_list("SECRETS_ENCRYPTION_KEYS")

# --- Accounts and sessions -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out credentials early
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Password-reset links work once (the token is bound to the password) and for one hour.
PASSWORD_RESET_TIMEOUT = 60 * 60
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row in tenant schemas

# --- MFA, sign-in throttling, inactivity, CSP (see docs/security.md) -----------------------------
# Tenant admins and partner staff must enrol a TOTP device before they can use anything else.
# A user who has a confirmed device is always asked for a code, whatever this says.
MFA_ENFORCE = env_bool("MFA_ENFORCE", True)
OTP_TOTP_ISSUER = PLATFORM_NAME
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Inactivity limit of the partner console (tenants set theirs on /admin/security/).
PARTNER_SESSION_IDLE_MINUTES = 30
# django-axes: 5 failures for one email from one IP lock that pair out for 15 minutes. Rows
# live in the schema of the host, so a lockout on one tenant does not touch another.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "apps.accounts.security.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# django-csp 4: no inline scripts; inline styles are allowed (base.html sets brand colours in a
# <style> element and the support banner uses a style attribute) — see docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Audit trail ---------------------------------------------------------------------------------
AUDITLOG_CID_GETTER = "apps.core.context.current_request_id"
AUDIT_RETENTION_YEARS = 6  # HIPAA documentation retention; tenants may keep longer, never less
# Signed checkpoints of every chain, outside the database (docs/security.md#checkpoints).
# AUDIT_SIGNING_KEY: base64 of a raw 32-byte Ed25519 private key (production requires it). Unset
# in development and tests: a key generated once into AUDIT_SIGNING_KEY_FILE under var/.
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY", "")
AUDIT_SIGNING_KEY_FILE = VAR_DIR / "audit-signing-key"
# Public keys (base64, raw 32 bytes) still accepted for older checkpoints after a rotation.
AUDIT_VERIFY_KEYS = env_list("AUDIT_VERIFY_KEYS", [])
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", 5, minimum=1)  # read by schedule.py

# --- Insights (see docs/insights.md) -------------------------------------------------------------
# Above this many requests a tenant's dashboards come from snapshots built by a worker.
INSIGHTS_INLINE_MAX_REQUESTS = env_int("INSIGHTS_INLINE_MAX_REQUESTS", 50_000, minimum=0)
# A snapshot older than this is shown with its time while a new one is built.
INSIGHTS_SNAPSHOT_FRESH_SECONDS = env_int("INSIGHTS_SNAPSHOT_FRESH_SECONDS", 600, minimum=10)

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Request size limits (docs/security.md, answered 413): every body but a multipart upload is held
# to DATA_UPLOAD_MAX_MEMORY_SIZE (Django's default, 2.5 MB, made explicit); a multipart upload may
# carry files up to MAX_UPLOAD_REQUEST_BYTES in all (attachments are at most 20 MB each).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_UPLOAD_REQUEST_BYTES = 21 * 1024 * 1024
MEDIA_URL = "/media/"
# Uploaded files live under MEDIA_ROOT/<schema name>/ so tenants never share a folder.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.ApiAutoSchema",
    # Bearer keys first: a missing or bad key then answers 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("API_RATE_PER_KEY", "600/min")},
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "apps.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Countersign API",
    "DESCRIPTION": (
        "The tenant REST API. Authenticate with `Authorization: Bearer <key>`; keys are "
        "scoped (requests:read, requests:write, tasks:decide, admin) and work only on their "
        "tenant's host. Errors always look like "
        '`{"error": {"code": ..., "message": ..., "fields": {...}}}`.'
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar when installed (no CDN); see apps/api/docs.py.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Email ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Countersign <no-reply@{PLATFORM_DOMAIN}>")

# --- DNS: the resolvers that check custom- and sender-domain TXT records ("ip" or "ip:port");
# empty means the system's (/etc/resolv.conf) ---------------------------------------------------
DNS_RESOLVERS = env_list("DNS_RESOLVERS", [])

# --- Logging: one line per event, never patient data ---------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "apps.core.logging.RequestContextFilter"},
        # Every handler redacts action, invitation and support links, API keys and webhook
        # secrets (docs/security.md, "Secrets in logs").
        "redact_secrets": {"()": "apps.core.redaction.SecretRedactionFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(tenant)s %(request_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_context", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults give `django` (mail_admins, the debug console) and `django.server`
        # handlers of their own that would bypass the redaction: both go through the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pysaml2 logs NameIDs and whole assertions at INFO/DEBUG: only its errors (which name
        # no attribute values) reach the logs; apps.identity.saml logs the refusal's class.
        "saml2": {"level": "ERROR"},
        "xmlschema": {"level": "WARNING"},
    },
}
