"""Minimum necessary on the inbox: the finance approver's row of a claims write-off shows its
payer, reason and amount (open fields) and none of its PHI; search never matches PHI; the bulk
decision's results (page and API) name the request by reference only."""

import pytest

from tests.api.conftest import ApiClient, key_for
from tests.approvals.helpers import pending
from tests.compliance.helpers import WRITE_OFF_PHI, write_off_at_finance
from tests.conftest import sign_in

MARKERS = [v for k, v in WRITE_OFF_PHI.items() if k != "date_of_service"]


@pytest.fixture
def at_finance(write_off_workflow, carol, victor):
    return write_off_at_finance(write_off_workflow, carol, victor)


def test_the_inbox_row_shows_open_fields_only(client_a, at_finance):
    sign_in(client_a, "frank@alpha.test")
    html = client_a.get("/inbox/").content.decode()
    assert f'data-testid="task-{at_finance.reference}"' in html
    assert "Blue Valley Health Plan · Timely filing limit exceeded" in html
    assert "$6,400.00" in html
    for marker in [*MARKERS, "2026-03-14"]:
        assert marker not in html, marker


@pytest.mark.parametrize("phi", ["ACCT-PHI", "CLM-PHI-55120", "NOTES-PHI", "M54.50"])
def test_search_never_matches_phi(client_a, at_finance, phi):
    sign_in(client_a, "frank@alpha.test")
    html = client_a.get("/inbox/", {"q": phi}).content.decode()
    assert f'data-testid="task-{at_finance.reference}"' not in html
    hit = client_a.get("/inbox/", {"q": "blue valley"}).content.decode()
    assert f'data-testid="task-{at_finance.reference}"' in hit


def test_bulk_results_carry_no_phi(tenant_a, client_a, at_finance, frank):
    (task,) = pending(at_finance)
    body = {"items": [{"task": task.pk, "decision": "approve"}]}
    api = ApiClient("alpha.localhost", key_for(tenant_a, frank))
    text = api.post("/api/v1/tasks/decide", body).content.decode()
    assert at_finance.reference in text
    for marker in MARKERS:
        assert marker not in text
    sign_in(client_a, "frank@alpha.test")
    page = client_a.get("/inbox/bulk/results").content.decode()
    for marker in MARKERS:
        assert marker not in page
