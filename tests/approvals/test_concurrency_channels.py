"""50 threads decide one task at the same moment through every channel at once: the API (a
key), the emailed link (a POST from its page) and the web form (a signed-in session). Each
thread has its own real database connection. Exactly one decision and one `task.decided`
event are recorded; every loser gets the channel's refusal (409, the link's page, the form's
message) and nobody a server error."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.api.services import api_key_create
from apps.approvals.models import ApprovalRequest, Decision
from apps.integrations.models import OutboxEvent
from apps.notifications import tokens
from apps.notifications.models import ActionToken
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import host_of

THREADS = 50
CHANNELS = ("api", "email_link", "web")


@pytest.mark.slow
def test_fifty_threads_through_mixed_channels_record_one_decision(open_db):
    tenant = Tenant.objects.get(slug="alpha")
    host = host_of("alpha")
    with tenant_context(tenant):
        carol = User.objects.get(email="carol@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        approval = submit_capital(carol, "9000")  # committed: no test transaction here
        (task,) = pending(approval)
        _, api_key = api_key_create(
            actor=None, name="race", scopes=["tasks:decide", "requests:read"], owner=bob
        )
        links = []
        for _ in range(THREADS // len(CHANNELS) + 1):
            raw = tokens.new_token()
            ActionToken.objects.create(
                token_hash=tokens.token_hash(raw),
                task=task,
                approver=bob,
                expires_at=timezone.now() + timedelta(hours=1),
            )
            links.append(raw)
    web_clients = []
    for _ in range(THREADS // len(CHANNELS) + 1):
        client = Client(HTTP_HOST=host)
        with tenant_context(tenant):
            client.force_login(bob)
        web_clients.append(client)

    start = threading.Barrier(THREADS)
    results: list[tuple[str, int, bytes]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post(index: int) -> None:
        channel = CHANNELS[index % len(CHANNELS)]
        slot = index // len(CHANNELS)
        try:
            if channel == "api":
                client = Client(HTTP_HOST=host)
                start.wait()
                response = client.post(
                    f"/api/v1/tasks/{task.pk}/decide",
                    json.dumps({"decision": "approve"}),
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {api_key}"},
                )
            elif channel == "email_link":
                client = Client(HTTP_HOST=host)
                start.wait()
                response = client.post(
                    f"/a/{links[slot]}", {"task": task.pk, "decision": "approve"}
                )
            else:
                client = web_clients[slot]
                start.wait()
                response = client.post(
                    f"/requests/{approval.reference}/tasks/{task.pk}/decide",
                    {"decision": "approve"},
                )
            with lock:
                results.append((channel, response.status_code, response.content))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()  # each thread has its own real connection

    threads = [threading.Thread(target=post, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    try:
        assert errors == []
        assert len(results) == THREADS
        assert [r for r in results if r[1] >= 500] == []
        winners = [r for r in results if _won(*r)]
        assert len(winners) == 1, [(c, s) for c, s, _ in results]
        for channel, status, content in results:
            if (channel, status, content) in winners:
                continue
            assert _refused(channel, status, content), (channel, status, content[:300])
        with tenant_context(tenant):
            (decision,) = Decision.objects.filter(task_id=task.pk)
            assert decision.channel == winners[0][0]
            decided = OutboxEvent.objects.filter(type="task.decided", request_id=approval.pk)
            assert decided.count() == 1
            assert not ActionToken.objects.filter(
                task_id=task.pk, used_at__isnull=True, revoked_at__isnull=True
            ).exists()
            approval.refresh_from_db()
            assert approval.status == "approved"
    finally:
        with tenant_context(tenant):
            ActionToken.objects.filter(task_id=task.pk).delete()
            Decision.objects.filter(request_id=approval.pk).delete()
            ApprovalRequest.objects.filter(pk=approval.pk).delete()
        connection.set_schema_to_public()


def _won(channel: str, status: int, content: bytes) -> bool:
    if channel == "api":
        return status == 200
    if channel == "email_link":
        return status == 200 and b"link-done" in content
    return status == 302  # the form redirects to the request after a decision


def _refused(channel: str, status: int, content: bytes) -> bool:
    if channel == "api":
        body = json.loads(content)
        error = body["error"]
        return (
            status == 409
            and error["code"] in ("task_already_decided", "busy")
            and "current" in error
        )
    if channel == "email_link":
        return status in (409, 410) and (
            b"This task no longer needs you" in content
            or b"This link has already been used" in content
        )
    return status == 303  # post, redirect, get: the request page then says why (test_pages)
