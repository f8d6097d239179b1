"""Every channel's state change leaves audit entries that name who acted (a person, or the
named system part), the channel it came through and the request id: none is blank.

Channels: web form, session API, API key, email link, partner console, partner API, Celery
task, beat-driven timer, management command (apps.core.actions)."""

import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, Decision, Task
from apps.approvals.services import DecisionInput, task_decide
from apps.audit.models import AuditEntry
from apps.integrations.erp.choices import PostingStatus
from apps.integrations.erp.models import ErpConnection, ErpPosting
from apps.integrations.erp.services import erp_connection_save
from apps.sla.admin_settings import override_save
from apps.sla.models import Clock
from apps.tenants.models import Tenant
from apps.timers.models import Timer
from apps.timers.services import timers_sweep
from tests.api.conftest import ApiClient, key_for
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.fixtures.celery_worker import wait_for
from tests.integrations.erp.conftest import TOKEN as ERP_TOKEN
from tests.notifications.helpers import action_token_in
from tests.partners.helpers import paula_console


def _last_sequence(schema: str) -> int:
    with schema_context(schema):
        last = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True)
        return last[0] if last else 0


def _written_since(schema: str, after: int) -> list[AuditEntry]:
    with schema_context(schema):
        return list(AuditEntry.objects.filter(sequence__gt=after).order_by("sequence"))


def _assert_attributed(entries, *, actor: str, channel: str, request_id: str | None = None):
    assert entries, "the action wrote no audit entry"
    for entry in entries:
        where = f"#{entry.sequence} {entry.action}"
        assert entry.actor_email == actor, where
        assert entry.channel == channel, where
        assert entry.request_id, where
        if request_id is not None:
            assert entry.request_id == request_id, where
    people = {entry.actor_id for entry in entries}
    if actor.startswith("system:"):
        assert people == {None}
    else:
        assert None not in people


def _request_id() -> str:
    return f"test-{uuid.uuid4().hex[:16]}"


# --- tenant host: web form, session API, API key, email link ------------------------------------


@pytest.fixture
def director_task(tenant_a, carol):
    with tenant_context(tenant_a):
        approval = submit_capital(carol, "9000")
        (task,) = pending(approval)
    return approval, task


def test_web_form_decision_names_the_approver(tenant_a, client_a, bob, director_task):
    approval, task = director_task
    sign_in(client_a, bob.email)
    before, request_id = _last_sequence(tenant_a.schema_name), _request_id()
    response = client_a.post(
        f"/requests/{approval.reference}/tasks/{task.pk}/decide",
        {"decision": "approve"},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 302
    entries = _written_since(tenant_a.schema_name, before)
    _assert_attributed(entries, actor=bob.email, channel="web", request_id=request_id)
    with tenant_context(tenant_a):
        assert Decision.objects.get(task=task).channel == "web"


def test_session_api_decision_names_the_approver(tenant_a, client_a, bob, director_task):
    _, task = director_task
    sign_in(client_a, bob.email)
    before, request_id = _last_sequence(tenant_a.schema_name), _request_id()
    response = client_a.post(
        f"/api/v1/tasks/{task.pk}/decide",
        {"decision": "approve"},
        content_type="application/json",
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.content
    entries = _written_since(tenant_a.schema_name, before)
    _assert_attributed(entries, actor=bob.email, channel="api", request_id=request_id)


def test_api_key_decision_and_creation_name_the_key_owner(tenant_a, bob, carol, director_task):
    _, task = director_task
    bob_api = ApiClient("alpha.localhost", key_for(tenant_a, bob))
    before, request_id = _last_sequence(tenant_a.schema_name), _request_id()
    response = bob_api.post(
        f"/api/v1/tasks/{task.pk}/decide", {"decision": "approve"}, **{"X-Request-ID": request_id}
    )
    assert response.status_code == 200, response.content
    _assert_attributed(
        _written_since(tenant_a.schema_name, before),
        actor=bob.email,
        channel="api",
        request_id=request_id,
    )
    with tenant_context(tenant_a):
        assert Decision.objects.get(task=task).channel == "api"

    carol_api = ApiClient("alpha.localhost", key_for(tenant_a, carol))
    before = _last_sequence(tenant_a.schema_name)
    created = carol_api.post(
        "/api/v1/requests",
        {
            "workflow": "capital-purchase",
            "data": {
                "item_description": "Infusion pumps",
                "vendor": "Acme Medical",
                "amount": "8000",
                "cost_centre": "4100-RAD",
                "owning_department": "radiology",
                "justification": "Replacing failed pumps.",
            },
        },
    )
    assert created.status_code == 201, created.content
    _assert_attributed(
        _written_since(tenant_a.schema_name, before), actor=carol.email, channel="api"
    )


def test_email_link_decision_names_the_approver(
    tenant_a, client_a, carol, bob, smtp_server, eager_celery, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        approval = submit_capital(carol)
    with tenant_context(tenant_a):
        (task,) = pending(approval)
    (message,) = smtp_server.to(bob.email)
    token = action_token_in(message)
    before, request_id = _last_sequence(tenant_a.schema_name), _request_id()
    response = client_a.post(
        f"/a/{token}",
        {"task": task.pk, "decision": "approve"},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200
    entries = _written_since(tenant_a.schema_name, before)
    _assert_attributed(entries, actor=bob.email, channel="email_link", request_id=request_id)
    with tenant_context(tenant_a):
        assert Decision.objects.get(task=task).channel == "email_link"


# --- root host: partner console and partner API ------------------------------------------------


def test_partner_console_change_names_the_partner_admin(db):
    console = paula_console()
    before, request_id = _last_sequence("public"), _request_id()
    response = console.post(
        "/tenants/bravo/status/suspend/", {"reason": "Unpaid"}, headers={"X-Request-ID": request_id}
    )
    assert response.status_code == 302
    _assert_attributed(
        _written_since("public", before),
        actor="paula@partner-p.test",
        channel="partner_console",
        request_id=request_id,
    )


def test_partner_api_change_names_the_key_owner(db):
    from tests.partners.test_api import _key, api

    client = api(_key("partner-p", "paula@partner-p.test"))
    before, request_id = _last_sequence("public"), _request_id()
    response = client.patch(
        "/api/partner/v1/tenants/bravo/",
        {"branding": {"login_message": "Welcome back"}},
        content_type="application/json",
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.content
    _assert_attributed(
        _written_since("public", before),
        actor="paula@partner-p.test",
        channel="partner_api",
        request_id=request_id,
    )


# --- management command ------------------------------------------------------------------------


def test_management_command_names_itself(tenant_a, capsys):
    before = _last_sequence(tenant_a.schema_name)
    call_command(
        "api_key_create", "--tenant", "alpha", "--owner", "bob@alpha.test",
        "--scopes", "requests:read",
    )  # fmt: skip
    entries = _written_since(tenant_a.schema_name, before)
    _assert_attributed(entries, actor="system:command:api_key_create", channel="command")
    assert len({entry.request_id for entry in entries}) == 1  # one run, one request id


def test_code_outside_any_entry_point_is_named_too(tenant_a, carol):
    """A shell or a script: still attributed (to the person the service was handed)."""
    with tenant_context(tenant_a):
        before = _last_sequence(tenant_a.schema_name)
        submit_capital(carol, "9000")
        entries = _written_since(tenant_a.schema_name, before)
    _assert_attributed(entries, actor=carol.email, channel="command")


# --- real Celery worker: a task, and the beat-driven timer sweep ------------------------------


@pytest.mark.slow
def test_celery_task_names_the_task(django_db_setup, open_db, celery_worker, fake_erp):
    """The worker posts the approved request's requisition to the ERP: the posting's changes
    are the task's, under its own request id (the Celery task id)."""
    tenant = Tenant.objects.get(slug="alpha")
    approval = None
    try:
        with tenant_context(tenant):
            erp_connection_save(
                actor=None, name="Fake ERP", base_url=fake_erp.url, auth_token=ERP_TOKEN,
                timeout_seconds=10,
            )  # fmt: skip
            carol = User.objects.get(email="carol@alpha.test")
            bob = User.objects.get(email="bob@alpha.test")
            before = _last_sequence(tenant.schema_name)
            approval = submit_capital(carol, "9000")
            (task,) = pending(approval)
            task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
            posting = ErpPosting.objects.get(request=approval)

            def posted() -> bool:
                posting.refresh_from_db()
                return posting.status == PostingStatus.SUCCEEDED

            wait_for(posted, timeout=60)
        entries = _written_since(tenant.schema_name, before)
        by_worker = [entry for entry in entries if entry.channel == "worker"]
        assert any(entry.object_type == "erp.erpposting" for entry in by_worker)
        _assert_attributed(by_worker, actor="system:erp.deliver_posting", channel="worker")
        assert len({entry.request_id for entry in by_worker}) == 1
        in_process = [entry for entry in entries if entry.channel != "worker"]
        assert {entry.channel for entry in in_process} == {"command"}
        assert {entry.actor_email for entry in in_process} == {carol.email, bob.email}
    finally:
        with tenant_context(tenant):
            if approval is not None:
                ErpPosting.objects.filter(request_id=approval.pk).delete()
                Decision.objects.filter(request_id=approval.pk).delete()
                ApprovalRequest.objects.filter(pk=approval.pk).delete()
            ErpConnection.objects.filter(name="Fake ERP").delete()
        connection.set_schema_to_public()


@pytest.mark.slow
def _delete_when_the_worker_is_done(pk: int) -> None:
    """The worker may still be sending the escalation's emails, which mint action tokens for
    the request's tasks: a delete racing one fails on the token's foreign key. Try again."""
    from django.db import IntegrityError, transaction

    for _ in range(40):
        try:
            with transaction.atomic():
                ApprovalRequest.objects.filter(pk=pk).delete()
            return
        except IntegrityError:
            time.sleep(0.25)
    raise AssertionError("the worker kept adding rows to the request")


def test_beat_driven_timer_names_the_sla_system_actor(django_db_setup, open_db, celery_worker):
    tenant = Tenant.objects.get(slug="alpha")
    approval = None
    try:
        with tenant_context(tenant):
            alice = User.objects.get(email="alice@alpha.test")
            carol = User.objects.get(email="carol@alpha.test")
            override_save(
                actor=alice, workflow_key="capital-purchase", step_key="director",
                urgency="standard", hours=8, calendar="business", reminders=[50, 80, 100],
                pause_on_needs_info=False, escalation_chain=["user:victor@alpha.test"],
                breach_action="reassign", escalation_interval_hours=24,
            )  # fmt: skip
            approval = submit_capital(carol, "9000")
            (task,) = pending(approval)
            clock = Clock.objects.get(task=task)
            Timer.objects.filter(
                object_kind="sla_clock", object_id=clock.pk, kind="escalation"
            ).update(fire_at=timezone.now() - timedelta(seconds=1))
            before = _last_sequence(tenant.schema_name)
        assert timers_sweep() >= 1  # what beat runs every few seconds
        with tenant_context(tenant):
            wait_for(
                lambda: Task.objects.filter(
                    request=approval, status="pending", assignee__email="victor@alpha.test"
                ).exists()
            )
        entries = _written_since(tenant.schema_name, before)
        # The escalation is the SLA's; the emails it queued mint their links in the email task.
        escalation = [entry for entry in entries if not entry.action.startswith("notifications.")]
        _assert_attributed(escalation, actor="system:sla", channel="worker")
        assert any(entry.action == "approvals.task.create" for entry in escalation)
        emails = [entry for entry in entries if entry.action.startswith("notifications.")]
        if emails:
            _assert_attributed(emails, actor="system:notifications.send_email", channel="worker")
    finally:
        with tenant_context(tenant):
            if approval is not None:
                _delete_when_the_worker_is_done(approval.pk)
            from apps.sla.models import SlaOverride

            SlaOverride.objects.filter(workflow_key="capital-purchase").delete()
        connection.set_schema_to_public()
