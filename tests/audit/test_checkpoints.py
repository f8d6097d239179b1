"""Signed checkpoints outside the database: deleting the newest audit entries and moving the
chain head back (as a superuser, triggers off) is named by audit_verify; an altered checkpoint
file is named too; the head only moves forward; beat checkpoints every tenant; purge still works."""

import contextlib
import json
from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.checkpoints import checkpoint_files, checkpoint_write, when
from apps.audit.exceptions import AuditCode
from apps.audit.models import AuditChainHead, AuditEntry
from apps.audit.retention import earliest_allowed_cutoff
from apps.audit.services import audit_append
from apps.audit.signing import private_key_encode, public_key_encode, signing_key
from apps.audit.verify import chain_verify, trail_verify
from apps.core.errors import Conflict
from tests.audit.helpers import chain_reset, purge_as_owner
from tests.fixtures.celery_worker import wait_for
from tests.fixtures.roles import as_owner, triggers_off


def _entry(action: str) -> AuditEntry:
    return audit_append(category="security", action=action, actor_email="test@alpha.test")


def _truncate_as_superuser(*, keep_through: int, move_head: bool = True) -> None:
    """What an attacker with the owner role does: triggers off, newest entries gone, head
    moved back to the last one left so the chain and head agree."""
    tables = ("audit_auditentry", "audit_auditchainhead")
    with triggers_off(*tables), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE sequence > %s", [keep_through])
        if move_head:
            cursor.execute(
                "UPDATE audit_auditchainhead SET last_sequence = %s, "
                "last_hash = (SELECT hash FROM audit_auditentry WHERE sequence = %s)",
                [keep_through, keep_through],
            )


def test_an_intact_chain_verifies_against_its_checkpoint(in_tenant_a, capsys):
    _entry("test.one")
    written = checkpoint_write()
    assert written is not None
    payload = json.loads(written.path.read_text())
    assert payload["schema"] == "alpha"
    assert payload["sequence"] == written.sequence
    assert payload["head_hash"] == AuditChainHead.objects.get(pk=1).last_hash
    call_command("audit_verify", tenant="alpha")
    out = capsys.readouterr().out
    assert f"checkpoint of {when(written.at)} (#{written.sequence})" in out
    # An unmoved head writes nothing more unless forced (the command forces).
    assert checkpoint_write() is None
    call_command("audit_checkpoint", tenant="alpha")
    assert len(list(checkpoint_files("alpha"))) == 2


def test_deleted_newest_entries_and_head_moved_back_are_named(in_tenant_a, capsys):
    for n in range(4):
        _entry(f"test.{n}")
    checkpoint = checkpoint_write()
    covered = checkpoint.sequence
    keep = covered - 3
    _truncate_as_superuser(keep_through=keep)
    assert chain_verify().ok  # the hash chain alone cannot tell: this is what was missed

    with pytest.raises(CommandError, match="Audit chain broken for: alpha"):
        call_command("audit_verify", tenant="alpha")
    out = capsys.readouterr().out
    assert (
        f"alpha: entries after #{keep} are missing; the checkpoint of {when(checkpoint.at)} "
        f"covers #{covered}"
    ) in out
    # The next checkpoint refuses to sign the shortened chain (so it cannot hide the gap).
    with pytest.raises(Conflict) as refused:
        checkpoint_write()
    assert refused.value.code == AuditCode.CHAIN_BEHIND_CHECKPOINT
    assert len(list(checkpoint_files("alpha"))) == 1


def test_deleted_newest_entries_with_the_head_left_are_named_by_the_head(in_tenant_a):
    for n in range(3):
        _entry(f"test.{n}")
    head = AuditChainHead.objects.get(pk=1).last_sequence
    _truncate_as_superuser(keep_through=head - 2, move_head=False)
    report = trail_verify(schema="alpha")
    assert not report.ok
    assert f"entries after #{head - 2} are missing; the chain head is at #{head}" in (
        report.problems
    )


def test_a_rewritten_chain_does_not_match_its_checkpoint(in_tenant_a):
    _entry("test.one")
    checkpoint = checkpoint_write()
    # Rewrite the newest entry consistently (new hash, head follows): only the checkpoint knows.
    tables = ("audit_auditentry", "audit_auditchainhead")
    with triggers_off(*tables), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET hash = %s WHERE sequence = %s",
            ["f" * 64, checkpoint.sequence],
        )
        cursor.execute("UPDATE audit_auditchainhead SET last_hash = %s", ["f" * 64])
    report = trail_verify(schema="alpha")
    assert not report.ok


def test_an_altered_checkpoint_file_has_a_wrong_signature(in_tenant_a, capsys):
    _entry("test.one")
    checkpoint = checkpoint_write()
    payload = json.loads(checkpoint.path.read_text())
    payload["sequence"] += 100  # pretend the chain was longer
    checkpoint.path.write_text(json.dumps(payload))
    with pytest.raises(CommandError, match="Audit chain broken for: alpha"):
        call_command("audit_verify", tenant="alpha")
    out = capsys.readouterr().out
    assert f"alpha: the checkpoint of {when(checkpoint.at)} has a wrong signature" in out


def test_a_checkpoint_copied_from_another_tenant_is_refused(tenant_a, tenant_b, settings):
    with tenant_context(tenant_b):
        _entry("test.bravo")
        foreign = checkpoint_write()
    target = settings.AUDIT_CHECKPOINT_DIR / "alpha" / foreign.path.parent.name
    target.mkdir(parents=True)
    (target / foreign.path.name).write_text(foreign.path.read_text())
    with tenant_context(tenant_a):
        report = trail_verify(schema="alpha")
    assert any("belongs to another audit trail" in p for p in report.problems)


def test_the_signing_key_rotates_with_the_old_public_key_kept(in_tenant_a, settings):
    _entry("test.one")
    old_public = public_key_encode(signing_key().public_key())
    checkpoint_write()
    settings.AUDIT_SIGNING_KEY = private_key_encode(Ed25519PrivateKey.generate())
    report = trail_verify(schema="alpha")
    assert any("signed with a key that is not accepted" in p for p in report.problems)
    settings.AUDIT_VERIFY_KEYS = [old_public]
    assert trail_verify(schema="alpha").ok
    _entry("test.two")
    newer = checkpoint_write()
    assert newer is not None
    assert trail_verify(schema="alpha", every_checkpoint=True).ok


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE audit_auditchainhead SET last_sequence = last_sequence - 1", "only moves forward"),
        ("UPDATE audit_auditchainhead SET last_hash = repeat('0', 64)", "only moves forward"),
        ("UPDATE audit_auditchainhead SET id = 2", "only moves forward"),
        ("DELETE FROM audit_auditchainhead", "cannot be deleted"),
        ("TRUNCATE audit_auditchainhead", "immutable"),
    ],
)
def test_the_chain_head_cannot_be_moved_back_or_removed(in_tenant_a, statement, message):
    """The application role may not touch the head at all; the owner's trigger refuses too."""
    if not statement.startswith("TRUNCATE"):
        _entry("test.one")  # a head with a sequence to move back
    for acting, refusal in ((contextlib.nullcontext(), "permission denied"), (as_owner(), message)):
        with (
            acting,
            pytest.raises(DatabaseError, match=refusal),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


def test_an_entry_that_does_not_continue_the_chain_is_refused(in_tenant_a):
    _entry("test.one")
    head = AuditChainHead.objects.get(pk=1)
    forged = {"at": timezone.now(), "category": "security", "action": "test.forged"}
    for sequence, prev_hash in (
        (head.last_sequence + 2, head.last_hash),
        (head.last_sequence + 1, "0" * 64),
    ):
        with pytest.raises(DatabaseError, match="must continue the chain"), transaction.atomic():
            AuditEntry.objects.create(
                **forged, sequence=sequence, prev_hash=prev_hash, hash="f" * 64
            )
    assert AuditChainHead.objects.get(pk=1).last_sequence == head.last_sequence


def test_the_chain_head_still_moves_forward(in_tenant_a):
    before = AuditChainHead.objects.get(pk=1).last_sequence
    _entry("test.one")
    _entry("test.two")
    assert AuditChainHead.objects.get(pk=1).last_sequence == before + 2
    assert trail_verify(schema="alpha").ok


def test_beat_checkpoints_every_tenant_every_few_minutes(settings):
    from config.celery import app

    entry = app.conf.beat_schedule["audit-checkpoint-all"]
    assert entry["task"] == "audit.checkpoint_all_tenants"
    assert entry["schedule"] == 60.0 * settings.AUDIT_CHECKPOINT_MINUTES == 300.0


@pytest.fixture
def shared_checkpoint_dir(monkeypatch, settings, tmp_path):
    """A folder the worker process (started after this fixture) writes into too."""
    folder = tmp_path / "shared-checkpoints"
    monkeypatch.setenv("AUDIT_CHECKPOINT_DIR", str(folder))
    settings.AUDIT_CHECKPOINT_DIR = folder
    return folder


@pytest.mark.slow
def test_the_scheduled_task_writes_a_checkpoint_per_tenant(
    django_db_setup, open_db, shared_checkpoint_dir, celery_worker, capsys
):
    from apps.audit.tasks import checkpoint_all_tenants

    checkpoint_all_tenants.delay()

    def written():
        return all(list(checkpoint_files(schema)) for schema in ("alpha", "bravo", "public"))

    assert wait_for(written, timeout=60)
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "alpha: " in out
    assert "bravo: " in out
    assert "no checkpoint yet" not in out.split("alpha: ")[1].splitlines()[0]
    # Run again with nothing appended: safe, and no new file.
    before = {schema: len(list(checkpoint_files(schema))) for schema in ("alpha", "bravo")}
    checkpoint_all_tenants.delay()
    import time

    time.sleep(3)
    assert {s: len(list(checkpoint_files(s))) for s in ("alpha", "bravo")} == before


def test_purge_keeps_working_with_checkpoints(tenant_a, capsys):
    now = timezone.now()
    with tenant_context(tenant_a):
        chain_reset()
        with time_machine.travel(now - timedelta(days=365 * 8), tick=False):
            for n in range(3):
                _entry(f"test.old{n}")
            old_checkpoint = checkpoint_write()  # covers #3, which the purge removes
        assert old_checkpoint.sequence == 3
        with time_machine.travel(now - timedelta(days=365 * 2), tick=False):
            _entry("test.recent")
    purge_as_owner(tenant="alpha", before=earliest_allowed_cutoff().isoformat(), confirm=True)
    with tenant_context(tenant_a):
        assert AuditEntry.objects.order_by("sequence").first().sequence == 4
        assert trail_verify(schema="alpha").ok
        after = checkpoint_write()
        assert after.sequence == AuditChainHead.objects.get(pk=1).last_sequence
    call_command("audit_verify", tenant="alpha")
    assert f"(#{after.sequence})" in capsys.readouterr().out
