"""Audit test steps shared by the checkpoint and retention tests."""

from django.core.management import call_command
from django.db import connection

from apps.audit.chain import GENESIS
from apps.audit.models import AuditChainHead
from tests.fixtures.roles import as_owner, triggers_off


def chain_reset() -> None:
    """Start the current tenant's trail empty (inside the test's rolled-back transaction). The
    head only moves forward and the entries are append-only: as the owner, triggers off."""
    with triggers_off("audit_auditentry", "audit_auditchainhead"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
        AuditChainHead.objects.update_or_create(
            pk=1, defaults={"last_sequence": 0, "last_hash": GENESIS}
        )


def purge_as_owner(**options: object) -> None:
    """`manage.py audit_purge`, which connects as the owner role."""
    with as_owner():
        call_command("audit_purge", **options)
