"""audit_verify reads the trail page by page: the query count does not grow with its length,
and a broken link is found across page boundaries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEntry
from apps.audit.verify import chain_verify
from tests.approvals.helpers import submit_capital
from tests.fixtures.roles import triggers_off


def test_verification_costs_two_queries_per_page(in_tenant_a, carol):
    for _ in range(3):
        submit_capital(carol, "9000")
    total = AuditEntry.objects.count()
    page = 10
    with CaptureQueriesContext(connection) as captured:
        report = chain_verify(batch=page)
    assert report.ok
    assert report.entries == total
    pages = -(-total // page)
    assert len(captured) <= 2 * pages + 1  # + the final empty page


def test_a_tampered_entry_is_found_in_a_later_page(in_tenant_a, carol):
    submit_capital(carol, "9000")
    last = AuditEntry.objects.order_by("-sequence").first()
    with triggers_off("audit_auditentry"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET object_repr = 'edited' WHERE id = %s", [last.pk]
        )
    report = chain_verify(batch=7)
    assert report.broken_at == last.sequence
    assert report.reason == "its content was changed"
