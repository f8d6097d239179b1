"""Development settings: debug on, a throwaway secret key, emails printed to the console."""

import os

os.environ.setdefault("SECRETS_ENCRYPTION_KEYS", "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1rZXktMzJieXQ=")
os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SITE_SCHEME", "http")
os.environ.setdefault("SITE_PORT", os.environ.get("DEMO_PORT", "8000"))
# The demo lets admins in without enrolling an authenticator app first; production enforces it.
os.environ.setdefault("MFA_ENFORCE", "false")
# Emails are kept for the "Demo mailbox" page (/demo/mailbox/) and summed up in the log.
os.environ.setdefault("EMAIL_BACKEND", "apps.notifications.demo_mailbox.DemoMailboxBackend")

from config.settings.base import *

DEMO_MAILBOX_DIR = os.environ.get("DEMO_MAILBOX_DIR", str(BASE_DIR / "var" / "demo-mailbox"))
DEMO_PORT = int(os.environ.get("DEMO_PORT", "8000"))
