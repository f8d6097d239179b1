"""The outbox: events written in the state change's transaction, with ids and statuses only;
fan-out to matching endpoints; the cursor feed; the sweep's view of pending work."""

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.effects import registered
from apps.approvals.services import DecisionInput, task_decide
from apps.core.worker_share import _Share
from apps.integrations import outbox
from apps.integrations.models import OutboxEvent, WebhookDelivery
from apps.integrations.webhooks.services import webhook_endpoint_create
from tests.approvals.helpers import capital_data, pending, submit_capital


@pytest.fixture
def endpoints(in_tenant_a, alice, loopback_allowed):
    made = {}
    for name, events in (("all", ["*"]), ("requests", ["request.*"]), ("tasks", ["task.decided"])):
        made[name], _ = webhook_endpoint_create(
            actor=alice, url=f"https://hooks.example.org/{name}", events=events
        )
    OutboxEvent.objects.update(dispatched_at=timezone.now())  # older rows are not ours
    return made


def test_handler_is_registered():
    assert "outbox" in registered()


def test_submission_and_decision_write_events_in_their_transaction(in_tenant_a, carol, bob):
    request = submit_capital(carol, "9000")
    submitted = list(OutboxEvent.objects.filter(request_id=request.pk))
    assert "request.submitted" in [e.type for e in submitted]
    assert "task.assigned" in [e.type for e in submitted]
    assert all(e.request_reference == request.reference for e in submitted)
    assert all(e.dispatched_at is None for e in submitted)
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    types = list(
        OutboxEvent.objects.filter(request_id=request.pk)
        .exclude(pk__in=[e.pk for e in submitted])
        .values_list("type", flat=True)
    )
    assert "task.decided" in types
    assert "request.approved" in types
    decided = OutboxEvent.objects.get(request_id=request.pk, type="task.decided")
    assert decided.payload["task"] == {
        "id": task.pk,
        "key": task.key,
        "url": f"https://alpha.localhost/api/v1/tasks/{task.pk}",
    }
    assert decided.payload["decision"] == "approve"
    approved = OutboxEvent.objects.get(request_id=request.pk, type="request.approved")
    assert approved.payload["request"]["status"] == "approved"
    assert (
        approved.payload["request"]["url"]
        == f"https://alpha.localhost/api/v1/requests/{request.pk}"
    )
    assert approved.payload["request"]["workflow"]["key"] == "capital-purchase"


def test_a_rolled_back_change_leaves_no_event(in_tenant_a, carol):
    before = OutboxEvent.objects.count()
    written = []

    def change_then_fail() -> None:
        with transaction.atomic():
            submit_capital(carol, "9000")
            written.append(OutboxEvent.objects.count())
            raise RuntimeError("the state change fails after the events were written")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert written[0] > before
    assert OutboxEvent.objects.count() == before


def test_events_are_scheduled_after_commit_only(
    in_tenant_a, carol, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        submit_capital(carol, "9000")
    shares = [getattr(c, "__self__", None) for c in callbacks]
    assert any(isinstance(s, _Share) and s.work.get("outbox") for s in shares)


def test_payload_has_no_form_data(in_tenant_a, carol, bob):
    data = capital_data("9000")
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    events = list(OutboxEvent.objects.filter(request_id=request.pk))
    assert len(events) >= 4
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT payload::text FROM integrations_outboxevent WHERE request_id = %s",
            [request.pk],
        )
        stored = " ".join(row[0] for row in cursor.fetchall())
    from apps.integrations.webhooks.delivery import event_body

    bodies = " ".join(event_body(e).decode() for e in events)
    for value in data.values():
        if value in {"9000", "radiology"}:
            continue  # checked below: amount and department are not in the payload either
        assert value not in stored
        assert value not in bodies
    for text in (stored, bodies):
        assert "9000" not in text.replace(str(request.pk), "")
        assert "radiology" not in text
        assert "Carol" not in text
        assert "carol@" not in text
        assert "Bob" not in text
    for event in events:
        assert set(event.payload) <= {"request", "task", "step", "stage", "decision", "via"}
        assert set(event.payload["request"]) == {"id", "reference", "status", "workflow", "url"}
        json.dumps(event.payload)


def test_fan_out_creates_one_delivery_per_matching_endpoint(endpoints, carol, bob):
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    events = list(OutboxEvent.objects.filter(request_id=request.pk))
    created = outbox.dispatch_events([e.pk for e in events])
    by_type = {e.type: e for e in events}
    assert set(
        WebhookDelivery.objects.filter(event=by_type["request.approved"]).values_list(
            "endpoint__url", flat=True
        )
    ) == {"https://hooks.example.org/all", "https://hooks.example.org/requests"}
    assert set(
        WebhookDelivery.objects.filter(event=by_type["task.decided"]).values_list(
            "endpoint__url", flat=True
        )
    ) == {"https://hooks.example.org/all", "https://hooks.example.org/tasks"}
    assert created == WebhookDelivery.objects.filter(event__request_id=request.pk).count()
    assert all(e.dispatched_at for e in OutboxEvent.objects.filter(request_id=request.pk))
    # Running the fan-out again (a duplicate task, the sweep) creates nothing more.
    assert outbox.dispatch_events([e.pk for e in events]) == 0


def test_inactive_endpoints_and_older_events_get_nothing(endpoints, alice, carol):
    from apps.integrations.webhooks.services import webhook_endpoint_update

    webhook_endpoint_update(actor=alice, endpoint=endpoints["all"], is_active=False)
    old = OutboxEvent.objects.create(
        type="request.approved", created_at=timezone.now() - timedelta(days=1)
    )
    request = submit_capital(carol, "9000")
    submitted = OutboxEvent.objects.get(request_id=request.pk, type="request.submitted")
    outbox.dispatch_events([old.pk, submitted.pk])
    assert not WebhookDelivery.objects.filter(event=old).exists()
    assert list(
        WebhookDelivery.objects.filter(event=submitted).values_list("endpoint__url", flat=True)
    ) == ["https://hooks.example.org/requests"]


def test_feed_pages_in_order_with_a_cursor(in_tenant_a, carol):
    first_page = outbox.events_after(limit=500)
    while len(first_page) == 500:  # skip whatever committed data the schema already holds
        first_page = outbox.events_after(cursor=first_page[-1].pk, limit=500)
    start = first_page[-1].pk if first_page else None
    request = submit_capital(carol, "9000")
    ours = list(OutboxEvent.objects.filter(request_id=request.pk).order_by("txid", "id"))
    page_one = outbox.events_after(cursor=start, limit=2)
    page_two = outbox.events_after(cursor=page_one[-1].pk, limit=100)
    seen = [e.pk for e in page_one + page_two if e.request_id == request.pk]
    assert seen == [e.pk for e in ours]
    assert next(e.type for e in ours) in {"request.submitted", "stage.started", "task.assigned"}
    assert outbox.events_after(cursor=ours[-1].pk) == []
    with pytest.raises(outbox.InvalidCursor):
        outbox.events_after(cursor="not-a-uuid")


def test_sweep_finds_tenants_with_pending_work(in_tenant_a, carol, tenant_b):
    submit_capital(carol, "9000")
    later = timezone.now() + timedelta(minutes=5)
    connection.set_schema_to_public()
    assert "alpha" in outbox.schemas_with_pending_work(now=later)
    with tenant_context(tenant_b):
        OutboxEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=later)
        WebhookDelivery.objects.filter(state="pending").update(state="dead")
    assert "bravo" not in outbox.schemas_with_pending_work(now=later)


def test_payload_links_use_the_site_scheme_and_port(in_tenant_a, carol, settings):
    settings.SITE_SCHEME = "http"
    settings.SITE_PORT = 8123
    request = submit_capital(carol, "9000")
    submitted = OutboxEvent.objects.get(request_id=request.pk, type="request.submitted")
    assert (
        submitted.payload["request"]["url"]
        == f"http://alpha.localhost:8123/api/v1/requests/{request.pk}"
    )
