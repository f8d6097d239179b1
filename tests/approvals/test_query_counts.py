"""The inbox and the request detail page cost the same number of queries at any data size."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.approvals.discussion import attachment_add, comment_add
from apps.approvals.services import DecisionInput, task_decide
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in


def _queries(client, path):
    client.get(path)  # warm up: session and per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_inbox_query_count_does_not_grow_with_data(tenant_a, client_a, carol, bob):
    sign_in(client_a, "bob@alpha.test")
    with tenant_context(tenant_a):
        for _ in range(2):
            submit_capital(carol)
    small = _queries(client_a, "/inbox/")
    with tenant_context(tenant_a):
        for _ in range(15):
            submit_capital(carol)
    large = _queries(client_a, "/inbox/")
    assert large == small
    assert large <= 12


def test_request_detail_query_count_does_not_grow_with_history(tenant_a, client_a, carol, bob):
    sign_in(client_a, "bob@alpha.test")
    with tenant_context(tenant_a):
        short = submit_capital(carol, "120000")
        long = submit_capital(carol, "120000")
        for request in (short, long):  # same state: past the director, waiting for the VP
            (task,) = pending(request)
            task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
        for number in range(10):
            comment_add(actor=bob, approval=long, body=f"note {number}")
            attachment_add(
                actor=carol,
                approval=long,
                upload=SimpleUploadedFile(f"n{number}.txt", b"note", content_type="text/plain"),
            )
    few = _queries(client_a, f"/requests/{short.reference}/")
    many = _queries(client_a, f"/requests/{long.reference}/")
    assert many == few
    assert many <= 24  # includes the 3 statements of the PHI-access audit entry
