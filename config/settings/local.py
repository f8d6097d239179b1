"""Development settings: debug on, a throwaway secret key, emails printed to the console."""

import os

os.environ.setdefault("SECRETS_ENCRYPTION_KEYS", "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1rZXktMzJieXQ=")
os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SITE_SCHEME", "http")
os.environ.setdefault("SITE_PORT", os.environ.get("DEMO_PORT", "8000"))
# The demo lets admins in without enrolling an authenticator app first; production enforces it.
os.environ.setdefault("MFA_ENFORCE", "false")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from config.settings.base import *

DEMO_PORT = int(os.environ.get("DEMO_PORT", "8000"))
