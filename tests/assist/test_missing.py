"""The requester sees "what is missing" on a draft before submitting, only when the tenant
turns it on, only on their own draft; the request is not changed."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import request_create
from apps.assist.models import AssistSettings
from apps.workflows.models import WorkflowDefinition
from tests.conftest import host_of, sign_in
from tests.sla.helpers import PRIOR_AUTH


@pytest.fixture
def draft(tenant_a, carol):
    with tenant_context(tenant_a):
        workflow = WorkflowDefinition.objects.get(key="prior-auth-imaging")
        data = {**PRIOR_AUTH, "conservative_therapy_weeks": 2}
        return request_create(actor=carol, workflow=workflow, data=data, submit=False)


def _allow(tenant, on=True):
    with tenant_context(tenant):
        AssistSettings.objects.update_or_create(pk=1, defaults={"show_missing_to_requester": on})


def test_off_by_default_then_the_requester_sees_what_is_missing(draft, client_a, tenant_a):
    url = f"/requests/{draft.reference}/assist/missing"
    sign_in(client_a, "carol@alpha.test")
    off = client_a.get(url)
    assert off.status_code == 204  # the setting is off by default: nothing shown
    assert off.content == b""
    detail = client_a.get(f"/requests/{draft.reference}/").content.decode()
    assert f'hx-get="{url}"' in detail  # the draft page asks for it; the view decides
    with tenant_context(tenant_a):
        before = ApprovalRequest.objects.filter(pk=draft.pk).values().get()
    _allow(tenant_a)
    response = client_a.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Advisory — does not decide" in html
    assert 'data-criterion="conservative_therapy" data-status="not_found"' in html
    assert 'data-item="conservative_therapy_short"' in html  # 2 weeks for a spine MRI
    assert 'data-item="supporting_document"' in html
    with tenant_context(tenant_a):
        assert ApprovalRequest.objects.filter(pk=draft.pk).values().get() == before


def test_only_the_requesters_own_draft(draft, client_a, client_b, tenant_a, carol):
    _allow(tenant_a)
    url = f"/requests/{draft.reference}/assist/missing"
    for email in ("bob@alpha.test", "alice@alpha.test", "olivia@alpha.test"):
        other = Client(HTTP_HOST=host_of("alpha"))
        sign_in(other, email)
        assert other.get(url).status_code == 404, email
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get(url).status_code == 404
    assert client_a.get(url)["Location"].startswith("/login/")
    with tenant_context(tenant_a):
        from apps.approvals.services import request_submit

        request_submit(actor=carol, approval=draft)
    sign_in(client_a, "carol@alpha.test")
    assert client_a.get(url).status_code == 404  # submitted: no longer a draft
