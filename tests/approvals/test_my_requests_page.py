"""What a row of "My requests" shows: link, workflow, status, amount and when it was made."""

import re
from datetime import UTC, datetime

from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest
from tests.approvals.helpers import submit_capital
from tests.conftest import sign_in


def test_a_row_of_my_requests(tenant_a, client_a, carol):
    with tenant_context(tenant_a):
        made = submit_capital(carol, "120000")
        ApprovalRequest.objects.filter(pk=made.pk).update(
            created_at=datetime(2031, 2, 3, 4, 5, 59, tzinfo=UTC)
        )
    sign_in(client_a, "carol@alpha.test")
    html = client_a.get("/requests/").content.decode()
    start = f'<tr><td data-label="Reference"><a href="/requests/{made.reference}/">'
    row = re.search(rf"{re.escape(start)}.*?</tr>", html, re.S)
    assert row, html
    assert re.sub(r"\s+", " ", row.group(0)) == (
        f'<tr><td data-label="Reference"><a href="/requests/{made.reference}/">'
        f"{made.reference}</a></td>"
        '<td data-label="Workflow">Capital purchase</td> <td data-label="Status">'
        '<span class="badge badge-in_review">In review</span></td> '
        '<td data-label="Amount">$120,000.00</td>'
        '<td data-label="Created">3 Feb 2031, 04:05 UTC</td></tr>'
    )
