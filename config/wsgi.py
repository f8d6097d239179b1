"""WSGI entry point (tenant code stays on WSGI: the tenant lives on the DB connection)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

# Refuse (production) or warn about a database role that could undo the audit trail.
from apps.core.postgres.roles import database_role_check  # noqa: E402

database_role_check(process="web")

# Load the ICD-10-CM code set as the worker starts, not in the first request that validates one.
from apps.workflows.engine.codes import icd_code_set  # noqa: E402

icd_code_set()
