"""Test settings: the same real PostgreSQL and Redis, a fixed key and a fast password hasher."""

import copy
import os

os.environ.setdefault("SECRETS_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMtbG8=")
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DEBUG", "false")

import dj_database_url

from config import embedded
from config.settings.base import *

# Hashing a password with argon2 costs ~50 ms; the tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["localhost", ".localhost", "testserver"]
MEDIA_ROOT = VAR_DIR / "test-media"
CELERY_TASK_ALWAYS_EAGER = False
# Tests share the embedded Redis with a running demo: keep their keys and queue apart.
CACHES["default"]["KEY_PREFIX"] = "test"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("COUNTERSIGN_TEST_QUEUE", "countersign-test")
# Several people (or CI jobs) may test against one embedded server at once: each can name its
# own test database with COUNTERSIGN_TEST_DB.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("COUNTERSIGN_TEST_DB", "test_countersign")}
# The suite runs as the application role: it logs in as a test role that starts as the
# application role (`role=` at connection) and may `SET ROLE` to the owner for the tamper steps
# of audit tests (docs/security.md#database-roles).
if DATABASES["default"].get("EMBEDDED") and DATABASE_ROLE == "app":
    DATABASES["default"]["USER"] = embedded.TEST_ROLE
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c role={embedded.APP_ROLE}"
# DATABASE_URL alone, with a role that may create roles: the same roles on that server
# (config/test_roles.py); with DATABASE_OWNER_URL too, the two URLs as given.
SUITE_SUPERUSER_DATABASE = None
if DATABASE_URL and not os.environ.get("DATABASE_OWNER_URL"):
    from config.test_roles import suite_roles

    _given = dj_database_url.parse(DATABASE_URL)
    _roles = suite_roles(_given, VAR_DIR)
    if _roles is not None:
        SUITE_SUPERUSER_DATABASE = _given
        _user = _roles["owner"] if DATABASE_ROLE == "owner" else _roles["test"]
        DATABASES["default"]["USER"] = _user
        DATABASES["default"]["PASSWORD"] = _roles["password"]
        if DATABASE_ROLE == "app":
            DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c role={_roles['app']}"
        DATABASE_APP_ROLE = _roles["app"]
        DATABASE_OWNER = {**DATABASE_OWNER, "USER": _roles["owner"], "PASSWORD": _roles["password"]}
# Server threads of the browser tests open their own connections; do not keep them around.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Serve static files from the app folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Existing tests sign tenant admins in with a password only; MFA tests turn this on.
MFA_ENFORCE = False
# The fake ERP of the tests listens on loopback; tests of the private-address guard turn it off.
ERP_ALLOW_PRIVATE_HOSTS = True
PAYERS_ALLOW_PRIVATE_HOSTS = True
# No test asks the internet's DNS: a lookup nobody pointed at a loopback server (tests/fixtures/
# dns_server.py) goes to the discard port and fails as a lookup failure.
DNS_RESOLVERS = ["127.0.0.1:9"]
# Embedded tenant clusters (COUNTERSIGN_EMBEDDED_CLUSTERS; tests/fixtures/clusters.py starts one
# for the tests that need it): the same roles, test database name and options as default.
for _alias in [a for a in DATABASES if a != "default" and DATABASES[a].get("EMBEDDED_DATA_DIR")]:
    DATABASES[_alias] = {  # type: ignore[typeddict-unknown-key]
        **copy.deepcopy(DATABASES["default"]),
        "EMBEDDED_DATA_DIR": DATABASES[_alias]["EMBEDDED_DATA_DIR"],
    }
