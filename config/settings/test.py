"""Test settings: the same real PostgreSQL and Redis, a fixed key and a fast password hasher."""

import os

os.environ.setdefault("SECRETS_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMtbG8=")
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DEBUG", "false")

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
# The suite connects with the application role's rights (embedded: a test role that has exactly
# them and may `SET ROLE` to the owner for the tamper steps of audit tests; docs/security.md).
if DATABASES["default"].get("EMBEDDED") and DATABASE_ROLE == "app":
    DATABASES["default"]["USER"] = embedded.TEST_ROLE
# Server threads of the browser tests open their own connections; do not keep them around.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Serve static files from the app folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Existing tests sign tenant admins in with a password only; MFA tests turn this on.
MFA_ENFORCE = False
# The fake ERP of the tests listens on loopback; tests of the private-address guard turn it off.
ERP_ALLOW_PRIVATE_HOSTS = True
# No test asks the internet's DNS: a lookup nobody pointed at a loopback server (tests/fixtures/
# dns_server.py) goes to the discard port and fails as a lookup failure.
DNS_RESOLVERS = ["127.0.0.1:9"]
