"""The inbox and "My requests" show every item, a page at a time, with the filters kept on the
page links (they used to stop at the first 200 without saying so)."""

import re

import pytest
from django_tenants.utils import tenant_context

from apps.core import paging
from tests.approvals.helpers import submit_capital
from tests.conftest import sign_in


@pytest.fixture
def three_requests(tenant_a, carol, monkeypatch):
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    with tenant_context(tenant_a):
        return [submit_capital(carol).reference for _ in range(3)]


def _references(html: str) -> list[str]:
    return re.findall(r'data-testid="task-([^"]+)"', html)


def test_inbox_pages_through_every_task_keeping_the_filters(three_requests, client_a):
    sign_in(client_a, "bob@alpha.test")
    first = client_a.get("/inbox/?urgency=standard").content.decode()
    assert len(_references(first)) == 2
    assert 'href="?urgency=standard&amp;page=2"' in first
    assert 'rel="prev"' not in first
    second = client_a.get("/inbox/?urgency=standard&page=2").content.decode()
    assert len(_references(second)) == 1
    assert 'rel="next"' not in second
    assert 'href="?urgency=standard&amp;page=1"' in second
    assert sorted(_references(first) + _references(second)) == sorted(three_requests)


def test_my_requests_pages_newest_first_and_bad_page_numbers_mean_the_first(
    three_requests, client_a
):
    sign_in(client_a, "carol@alpha.test")
    first = client_a.get("/requests/").content.decode()
    second = client_a.get("/requests/?page=2").content.decode()
    newest_first = list(reversed(three_requests))
    assert [r for r in newest_first[:2] if f">{r}</a>" in first] == newest_first[:2]
    assert f">{newest_first[2]}</a>" in second
    assert f">{newest_first[0]}</a>" not in second
    for junk in ("0", "-3", "two"):
        assert client_a.get(f"/requests/?page={junk}").content.decode().count("</a></td>") == 2
    past_the_end = client_a.get("/requests/?page=9").content.decode()
    assert "past the last one" in past_the_end
    assert 'rel="prev"' in past_the_end
