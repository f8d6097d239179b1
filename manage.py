#!/usr/bin/env python
"""Django's command-line utility for Countersign."""

import os
import sys

# Commands that change the database's structure or bypass the audit trail's protection connect
# as the owner role; everything else as the application role (docs/security.md#database-roles).
OWNER_COMMANDS = {
    "migrate",
    "migrate_schemas",
    "setup",
    "audit_purge",
    "tenant_backup",
    "tenant_restore",
    "createcachetable",
    "flush",
    "dbshell",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    if len(sys.argv) > 1 and sys.argv[1] in OWNER_COMMANDS:
        os.environ.setdefault("COUNTERSIGN_DB_ROLE", "owner")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from config.embedded import EmbeddedServiceError

    try:
        execute_from_command_line(sys.argv)
    except OperationalError as exc:
        # One clear sentence instead of a wall of traceback when the database is unreachable.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the embedded PostgreSQL"
        sys.stderr.write(
            f"Cannot reach the database configured by {where}: {reason}. "
            "Check that the server is running and the URL is right, or unset DATABASE_URL to "
            "use the embedded server.\n"
        )
        sys.exit(2)
    except EmbeddedServiceError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
