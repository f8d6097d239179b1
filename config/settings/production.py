"""Production settings: every secret from the environment, secure cookies and HSTS."""

import os
from pathlib import Path

from apps.core.observability import configure_logging
from config.env import env_bool, env_int, env_str
from config.settings.base import *

if DEBUG:
    raise RuntimeError("DEBUG must be off in production.")
_redis_given = os.environ.get("REDIS_URL") or (
    os.environ.get("CACHE_URL") and os.environ.get("CELERY_BROKER_URL")
)
if not os.environ.get("DATABASE_URL") or not _redis_given:
    raise RuntimeError(
        "Set DATABASE_URL and REDIS_URL (or CACHE_URL and CELERY_BROKER_URL) in production; "
        "embedded servers are for development and tests only."
    )

if not AUDIT_SIGNING_KEY:
    raise RuntimeError(
        "Set AUDIT_SIGNING_KEY in production (base64 Ed25519 private key, kept outside the "
        "database; see docs/operations.md#audit-checkpoints)."
    )

# A superuser or owner DATABASE_URL can switch the audit trail's protection off: refuse it
# (DATABASE_ALLOW_SUPERUSER=true overrides; docs/security.md#database-roles).
DATABASE_ROLE_ENFORCED = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# --- Behind a reverse proxy (Caddy / ingress) and gunicorn ---------------------------------------
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# Probes, the scraper and the proxy's TLS ask talk plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^tls/ask$"]
# The tenant lives on the database connection: keep connections per worker thread, checked.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(STATIC_ROOT)))

# --- Observability (docs/operations.md) ----------------------------------------------------------
# LOG_FORMAT=json (default here) writes one JSON object per line with tenant and request id.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING = configure_logging(LOGGING, LOG_FORMAT)
# Bearer token for /metrics; unset means the endpoint answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Request counters and latency: right after RequestIdMiddleware so log lines carry the id.
if "apps.core.observability.MetricsMiddleware" not in MIDDLEWARE:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("apps.core.middleware.RequestIdMiddleware") + 1,
        "apps.core.observability.MetricsMiddleware",
    )
# pg_dump / pg_restore for tenant_backup and tenant_restore (default: found on PATH).
PG_BIN_DIR = env_str("PG_BIN_DIR", "")
