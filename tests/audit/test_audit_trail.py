"""The audit trail: every change and every read of patient data is recorded, chained and
immutable; tampering is found by audit_verify."""

import contextlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import tenant_context

from apps.approvals.discussion import attachment_add
from apps.approvals.services import DecisionInput, task_decide
from apps.audit.models import AuditEntry
from apps.audit.verify import chain_verify
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.fixtures.roles import as_owner, triggers_off


def test_changes_are_recorded_with_actor_and_chained(in_tenant_a, carol, bob):
    before = AuditEntry.objects.count()
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    entries = list(AuditEntry.objects.filter(request_reference=request.reference))
    actions = {entry.action for entry in entries}
    assert {"approvals.approvalrequest.create", "approvals.task.create",
            "approvals.decision.create"} <= actions  # fmt: skip
    assert AuditEntry.objects.count() > before
    assert chain_verify().ok


def test_form_answers_never_enter_the_trail(in_tenant_a, carol):
    request = submit_capital(carol, "9000")
    for entry in AuditEntry.objects.filter(request_reference=request.reference):
        assert "CT scanner upgrade" not in str(entry.detail)
    from auditlog.models import LogEntry

    for log in LogEntry.objects.filter(object_repr=request.reference):
        assert "CT scanner upgrade" not in str(log.changes)


@pytest.mark.parametrize("statement", ["UPDATE {t} SET action = 'x'", "DELETE FROM {t}",
                                       "TRUNCATE {t}"])  # fmt: skip
@pytest.mark.parametrize("table", ["audit_auditentry", "auditlog_logentry"])
@pytest.mark.parametrize(
    ("role", "refusal"), [("app", "permission denied"), ("owner", "immutable")]
)
def test_audit_rows_cannot_be_changed_or_removed(in_tenant_a, carol, statement, table, role,
                                                 refusal):  # fmt: skip
    """The application role has no right to; the owner's triggers refuse it too."""
    if not statement.startswith("TRUNCATE"):
        # Rows to change; (TRUNCATE after inserts in the same transaction fails earlier, on
        # PostgreSQL's pending foreign-key checks, which would hide what refused it.)
        submit_capital(carol, "9000")
    column = "action" if table == "audit_auditentry" else "object_repr"
    sql = statement.format(t=table).replace("SET action", f"SET {column}")
    acting = as_owner() if role == "owner" else contextlib.nullcontext()
    with (
        acting,
        pytest.raises(DatabaseError, match=refusal),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def test_tampering_by_the_owner_is_found_by_audit_verify(in_tenant_a, carol, capsys):
    request = submit_capital(carol, "9000")
    victim = AuditEntry.objects.filter(request_reference=request.reference).order_by("sequence")[0]
    # Only the owner (or a superuser) can switch triggers off: an attacker with those keys.
    with triggers_off("audit_auditentry"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor_email = 'someone@else.test' WHERE id = %s",
            [victim.pk],
        )
    report = chain_verify()
    assert not report.ok
    assert report.broken_at == victim.sequence
    assert report.reason == "its content was changed"
    with pytest.raises(CommandError, match="Audit chain broken for: alpha"):
        call_command("audit_verify", tenant="alpha")
    assert f"BROKEN at entry #{victim.sequence}" in capsys.readouterr().out


def test_altered_change_record_is_found(in_tenant_a, carol):
    request = submit_capital(carol, "9000")
    entry = AuditEntry.objects.filter(
        request_reference=request.reference, action="approvals.approvalrequest.create"
    ).first()
    with triggers_off("auditlog_logentry"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE auditlog_logentry SET changes = '{}'::jsonb WHERE id = %s",
            [entry.detail["log_entry"]],
        )
    report = chain_verify()
    assert report.broken_at == entry.sequence
    assert "was altered" in report.reason


def test_audit_verify_passes_on_an_intact_chain(in_tenant_a, carol, capsys):
    submit_capital(carol, "9000")
    call_command("audit_verify", tenant="alpha")
    assert "alpha:" in capsys.readouterr().out


@pytest.fixture
def approval_with_file(tenant_a, carol):
    with tenant_context(tenant_a):
        request = submit_capital(carol, "9000")
        attachment = attachment_add(
            actor=carol,
            approval=request,
            upload=SimpleUploadedFile("note.pdf", b"%PDF-1.4", content_type="application/pdf"),
        )
    return request, attachment


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/requests/{ref}/", "request.view"),
        ("/requests/{ref}/attachments/{att}", "attachment.download"),
    ],
)
def test_every_phi_read_path_writes_an_access_entry(
    approval_with_file, client_a, tenant_a, path, action
):
    request, attachment = approval_with_file
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get(path.format(ref=request.reference, att=attachment.pk))
    assert response.status_code == 200
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(
            category="phi_access", action=action, request_reference=request.reference
        ).last()
        assert entry is not None
        assert entry.actor_email == "bob@alpha.test"
        assert entry.ip == "127.0.0.1"
        assert len(entry.request_id) >= 8


def test_refused_reads_leave_no_access_entry(approval_with_file, client_a, tenant_a):
    request, _ = approval_with_file
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get(f"/requests/{request.reference}/").status_code == 404
    with tenant_context(tenant_a):
        assert not AuditEntry.objects.filter(
            category="phi_access", actor_email="olivia@alpha.test"
        ).exists()


def test_sign_in_and_failed_sign_in_are_recorded(client_a, tenant_a):
    sign_in(client_a, "bob@alpha.test", "wrong password")
    sign_in(client_a, "bob@alpha.test")
    with tenant_context(tenant_a):
        actions = list(
            AuditEntry.objects.filter(category="security", actor_email="bob@alpha.test")
            .order_by("-sequence")
            .values_list("action", flat=True)[:2]
        )
    assert actions == ["login", "login_failed"]


def test_audit_page_filters_and_exports_for_admins_only(client_a, client_b, tenant_a, carol):
    with tenant_context(tenant_a):
        request = submit_capital(carol, "9000")
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get(f"/admin/audit/?request={request.reference}")
    assert page.status_code == 200
    assert b"approvals.approvalrequest.create" in page.content
    csv_response = client_a.get(f"/admin/audit/export.csv?request={request.reference}")
    assert csv_response.status_code == 200
    body = b"".join(csv_response.streaming_content).decode()
    assert body.splitlines()[0].startswith("sequence,at,category,action")
    assert request.reference in body
    pdf = client_a.get(f"/admin/audit/export.pdf?request={request.reference}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    with tenant_context(tenant_a):
        exports = AuditEntry.objects.filter(action__startswith="audit.export").count()
    assert exports >= 2
    bad = client_a.get("/admin/audit/?start=yesterday")
    assert b"The start date must look like 2026-11-23." in bad.content

    for who in ("bob@alpha.test", "olivia@alpha.test"):
        other = client_a.__class__(HTTP_HOST="alpha.localhost")
        sign_in(other, who)
        for path in ("/admin/audit/", "/admin/audit/export.csv", "/admin/audit/export.pdf"):
            assert other.get(path).status_code == 403
    sign_in(client_b, "dave@bravo.test")
    stolen = client_a.__class__(HTTP_HOST="alpha.localhost")
    stolen.cookies = client_b.cookies
    assert stolen.get("/admin/audit/").status_code == 302
    anonymous = client_a.__class__(HTTP_HOST="alpha.localhost")
    assert anonymous.get("/admin/audit/export.csv")["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/api/v1/requests/{id}", "api.request.view"),
        ("/api/v1/requests/{id}/attachments/{att}/download", "api.attachment.download"),
    ],
)
def test_api_reads_of_patient_data_write_access_entries(
    approval_with_file, tenant_a, bob, path, action
):
    from tests.api.conftest import ApiClient, key_for

    request, attachment = approval_with_file
    client = ApiClient("alpha.localhost", key_for(tenant_a, bob, ["requests:read"]))
    response = client.get(path.format(id=request.pk, att=attachment.pk))
    assert response.status_code == 200
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(
            category="phi_access", action=action, request_reference=request.reference
        ).last()
        assert entry is not None
        assert entry.actor_email == "bob@alpha.test"


def test_audit_page_has_pages_labelled_filters_and_actions_in_words(client_a, tenant_a, carol):
    with tenant_context(tenant_a):
        request = submit_capital(carol, "9000")
    sign_in(client_a, "alice@alpha.test")
    first = client_a.get(f"/admin/audit/?request={request.reference}").content.decode()
    assert "Approval request created" in first  # the code's words, the code below them
    assert "approvals.approvalrequest.create" in first
    assert "<label>Person <input" in first
    with tenant_context(tenant_a):
        total = AuditEntry.objects.count()
    assert total > 50
    page_one = client_a.get("/admin/audit/").content.decode()
    assert page_one.count('data-testid="audit-action"') == 50
    assert 'rel="next"' in page_one
    last = (total - 1) // 50 + 1
    tail = client_a.get(f"/admin/audit/?page={last}").content.decode()
    assert tail.count('data-testid="audit-action"') == total - (last - 1) * 50
    assert 'rel="next"' not in tail
    assert 'rel="prev"' in tail
