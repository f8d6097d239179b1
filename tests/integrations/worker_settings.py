"""Settings of the end-to-end tests' Celery worker: the test settings with tiny backoff, an
immediate sweep and loopback receivers allowed."""

from config.settings.test import *  # noqa: F403

WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
WEBHOOKS_RETRY_BASE_SECONDS = 0.2
WEBHOOKS_RETRY_MAX_SECONDS = 1.0
WEBHOOKS_SWEEP_GRACE_SECONDS = 0
WEBHOOKS_TIMEOUT_SECONDS = 5
