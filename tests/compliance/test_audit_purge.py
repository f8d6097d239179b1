"""Audit retention: `audit_purge` refuses dates inside retention, removes the oldest entries
only with --confirm, records itself and leaves a chain that still verifies from its signed
checkpoint."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.audit.retention import CHECKPOINT_ACTION, earliest_allowed_cutoff
from apps.audit.services import audit_append
from apps.audit.verify import chain_verify
from tests.audit.helpers import chain_reset, purge_as_owner
from tests.fixtures.roles import triggers_off


def _entry(action: str) -> AuditEntry:
    return audit_append(category="security", action=action, actor_email="test@alpha.test")


@pytest.fixture
def old_and_new_entries(tenant_a):
    now = timezone.now()
    with tenant_context(tenant_a):
        chain_reset()
        with time_machine.travel(now - timedelta(days=365 * 8), tick=False):
            for n in range(3):
                _entry(f"test.old{n}")
        with time_machine.travel(now - timedelta(days=365 * 2), tick=False):
            _entry("test.recent")
        assert chain_verify().ok
    return now


def test_purge_refuses_dates_inside_retention(tenant_a, old_and_new_entries):
    too_recent = earliest_allowed_cutoff() + timedelta(days=1)
    with pytest.raises(CommandError, match="kept 6 years"):
        purge_as_owner(tenant="alpha", before=too_recent.isoformat(), confirm=True)
    with tenant_context(tenant_a):
        assert AuditEntry.objects.count() == 4


def test_purge_needs_confirm(tenant_a, old_and_new_entries):
    before = earliest_allowed_cutoff().isoformat()
    with pytest.raises(CommandError, match="--confirm"):
        purge_as_owner(tenant="alpha", before=before)
    with tenant_context(tenant_a):
        assert AuditEntry.objects.count() == 4


def test_purge_removes_old_entries_keeps_the_chain_verifiable_and_is_audited(
    tenant_a, old_and_new_entries
):
    before = earliest_allowed_cutoff()
    purge_as_owner(tenant="alpha", before=before.isoformat(), confirm=True)
    with tenant_context(tenant_a):
        actions = list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))
        assert actions == ["test.recent", "audit.purge_started", CHECKPOINT_ACTION]
        checkpoint = AuditEntry.objects.get(action=CHECKPOINT_ACTION)
        assert checkpoint.detail["purged"] == 3
        assert checkpoint.detail["purged_through"] == 3
        first = AuditEntry.objects.order_by("sequence").first()
        assert first.sequence == 4
        assert first.prev_hash == checkpoint.detail["purged_hash"]
        report = chain_verify()
        assert report.ok, report
        assert report.entries == 3
        # Appending goes on from the head as before.
        _entry("test.after")
        assert chain_verify().ok


def test_a_forged_checkpoint_does_not_verify(tenant_a, old_and_new_entries):
    purge_as_owner(tenant="alpha", before=earliest_allowed_cutoff().isoformat(), confirm=True)
    with tenant_context(tenant_a):
        with triggers_off("audit_auditentry"), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditentry SET detail = jsonb_set(detail, '{signature}', '\"00\"') "
                "WHERE action = %s",
                [CHECKPOINT_ACTION],
            )
        report = chain_verify()
    assert not report.ok
    assert report.broken_at == 4


def test_purge_as_the_application_role_is_refused_and_removes_nothing(
    tenant_a, old_and_new_entries
):
    with pytest.raises(CommandError, match="needs the database owner role"):
        call_command(
            "audit_purge",
            tenant="alpha",
            before=earliest_allowed_cutoff().isoformat(),
            confirm=True,
        )
    with tenant_context(tenant_a):
        assert AuditEntry.objects.count() == 4
        assert chain_verify().ok
