"""Drafts in the browser: the requester edits, submits and deletes a saved draft; nobody else
can; a submitted request is no longer a draft. Each is one action with its audit entries."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import request_create
from apps.audit.models import AuditEntry
from apps.workflows.models import WorkflowDefinition
from tests.approvals.helpers import capital_data
from tests.conftest import sign_in


def _draft(tenant, carol) -> ApprovalRequest:
    with tenant_context(tenant):
        workflow = WorkflowDefinition.objects.get(key="capital-purchase")
        return request_create(
            actor=carol, workflow=workflow, data=capital_data("9000"), submit=False
        )


def _form(amount: str, action: str, **changes: str) -> dict[str, str]:
    return {
        **capital_data(amount),
        "urgency": "standard",
        "department": "radiology",
        "action": action,
        **changes,
    }


def test_a_draft_page_offers_edit_submit_and_delete_to_its_requester(tenant_a, client_a, carol):
    draft = _draft(tenant_a, carol)
    sign_in(client_a, "carol@alpha.test")
    page = client_a.get(f"/requests/{draft.reference}/").content.decode()
    for testid in ("draft-edit", "draft-submit", "draft-delete"):
        assert f'data-testid="{testid}"' in page
    edit = client_a.get(f"/requests/{draft.reference}/edit")
    assert edit.status_code == 200
    assert 'value="CT scanner upgrade"' in edit.content.decode()


def test_editing_a_draft_saves_it_and_submitting_from_the_form_routes_it(tenant_a, client_a, carol):
    draft = _draft(tenant_a, carol)
    sign_in(client_a, "carol@alpha.test")
    saved = client_a.post(
        f"/requests/{draft.reference}/edit", _form("9500", "draft", vendor="Acme Imaging")
    )
    assert saved.status_code == 302
    with tenant_context(tenant_a):
        draft.refresh_from_db()
        assert (draft.status, draft.data["vendor"], str(draft.amount)) == (
            "draft",
            "Acme Imaging",
            "9500.00",
        )
    bad = client_a.post(f"/requests/{draft.reference}/edit", _form("", "submit"))
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()
    with tenant_context(tenant_a):
        draft.refresh_from_db()
        assert draft.status == "draft"  # nothing changed by the refused edit
    submitted = client_a.post(f"/requests/{draft.reference}/edit", _form("9500", "submit"))
    assert submitted.status_code == 302
    with tenant_context(tenant_a):
        draft.refresh_from_db()
        assert draft.status == "in_review"
        assert draft.tasks.filter(status="pending").count() == 1
        actions = set(
            AuditEntry.objects.filter(request_reference=draft.reference).values_list(
                "actor_email", flat=True
            )
        )
        assert actions == {"carol@alpha.test"}
    # No longer a draft: no edit page, no delete.
    assert client_a.get(f"/requests/{draft.reference}/edit").status_code == 404
    assert client_a.post(f"/requests/{draft.reference}/delete").status_code == 404


def test_submitting_and_deleting_a_draft_from_its_page(tenant_a, client_a, carol):
    first, second = _draft(tenant_a, carol), _draft(tenant_a, carol)
    sign_in(client_a, "carol@alpha.test")
    assert client_a.post(f"/requests/{first.reference}/submit").status_code == 302
    deleted = client_a.post(f"/requests/{second.reference}/delete")
    assert deleted["Location"] == "/requests/"
    with tenant_context(tenant_a):
        first.refresh_from_db()
        assert first.status == "in_review"
        assert not ApprovalRequest.objects.filter(pk=second.pk).exists()


def test_others_cannot_see_or_change_a_draft(tenant_a, client_a, client_b, carol):
    draft = _draft(tenant_a, carol)
    sign_in(client_a, "bob@alpha.test")
    for method, path in (
        ("get", "edit"),
        ("post", "edit"),
        ("post", "submit"),
        ("post", "delete"),
    ):
        response = getattr(client_a, method)(f"/requests/{draft.reference}/{path}")
        assert response.status_code == 404, (method, path)
    sign_in(client_b, "dave@bravo.test")
    assert client_b.post(f"/requests/{draft.reference}/delete").status_code == 404
    with tenant_context(tenant_a):
        draft.refresh_from_db()
        assert draft.status == "draft"
