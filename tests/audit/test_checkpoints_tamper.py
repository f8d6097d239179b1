"""Signed checkpoints anchor the audit chain: deleting the newest entries (as the owner, with
the immutability triggers bypassed) and moving the head back to match is reported by
`audit_verify` with the missing range; a checkpoint file altered by hand fails its signature."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.audit.checkpoints import checkpoint_files, checkpoint_write
from apps.audit.models import AuditChainHead, AuditEntry
from apps.audit.services import audit_append
from tests.fixtures.roles import triggers_off


def _verify() -> str:
    out = io.StringIO()
    try:
        call_command("audit_verify", "--tenant", "alpha", stdout=out)
    except (CommandError, SystemExit) as failure:
        return out.getvalue() + f"\nFAILED {failure}"
    return out.getvalue()


def _entries(count: int) -> None:
    for number in range(count):
        audit_append(category="security", action=f"test.checkpoint.{number}")


@pytest.fixture
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    return tmp_path


def test_truncation_after_a_checkpoint_is_named(in_tenant_a, checkpoint_dir):
    _entries(5)
    checkpoint_write(force=True)
    head = AuditChainHead.objects.get()
    assert "FAILED" not in _verify()

    keep = head.last_sequence - 3
    kept = AuditEntry.objects.get(sequence=keep)
    tables = ("audit_auditentry", "audit_auditchainhead")
    with triggers_off(*tables), connection.cursor() as cursor:  # the owner, triggers bypassed
        cursor.execute("DELETE FROM audit_auditentry WHERE sequence > %s", [keep])
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_sequence = %s, last_hash = %s",
            [keep, kept.hash],
        )
    report = _verify()
    assert "FAILED" in report
    assert f"#{keep}" in report, report
    assert "missing" in report, report


def test_an_altered_checkpoint_fails_its_signature(in_tenant_a, checkpoint_dir):
    _entries(2)
    checkpoint_write(force=True)
    (path,) = list(checkpoint_files(connection.schema_name))
    data = json.loads(path.read_text())
    data["sequence"] = data.get("sequence", 0) + 100
    path.write_text(json.dumps(data))
    report = _verify()
    assert "FAILED" in report
    assert "signature" in report, report


def test_the_head_only_moves_forward(in_tenant_a):
    from django.db import DatabaseError, transaction

    _entries(2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditchainhead SET last_sequence = 0")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditchainhead")
    assert AuditChainHead.objects.get().last_sequence >= 2
