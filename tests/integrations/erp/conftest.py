"""Fixtures of the ERP tests: the fake ERP on a real socket and tenant A's connection to it."""

import socket

import pytest

from tests.integrations.erp.fake_erp import FakeErp

TOKEN = "Bearer erp-test-token-123"


@pytest.fixture
def fake_erp():
    erp = FakeErp(token=TOKEN).start()
    yield erp
    erp.stop()


@pytest.fixture
def erp_connection(in_tenant_a, fake_erp):
    from apps.integrations.erp.services import erp_connection_save

    return erp_connection_save(
        actor=None, name="Test ERP", base_url=fake_erp.url, auth_token=TOKEN, timeout_seconds=3
    )


@pytest.fixture
def closed_port_url():
    """A loopback URL where nothing listens (connection refused): the ERP is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def approve_through_vp(request, bob, victor):
    """Director and VP approve a capital request, which opens the CFO (finance) step."""
    from apps.approvals.services import DecisionInput, task_decide
    from tests.approvals.helpers import pending

    for approver in (bob, victor):
        (task,) = pending(request)
        assert task.assignee == approver
        task_decide(actor=approver, task=task, decision=DecisionInput("approve"))
    request.refresh_from_db()
    return request
