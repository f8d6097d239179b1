"""Who may see a request: every selector refuses outsiders; shares and department grants widen
the one permission filter, and nobody else gets in."""

import pytest
from django_tenants.utils import tenant_context

from apps.approvals import selectors
from apps.approvals.exceptions import NotAllowed, NotFound
from apps.approvals.services import request_create
from apps.approvals.sharing import request_share
from apps.people.models import Department
from apps.workflows.models import WorkflowDefinition
from tests.approvals.helpers import capital_data, pending, submit_capital
from tests.compliance.helpers import role
from tests.conftest import sign_in


def test_every_selector_refuses_the_same_tenant_outsider(in_tenant_a, carol, bob, olivia):
    request = submit_capital(carol)
    (task,) = pending(request)
    assert selectors.requests_visible_to(olivia).filter(pk=request.pk).exists() is False
    assert selectors.can_view_request(olivia, request) is False
    with pytest.raises(NotFound):
        selectors.request_for(olivia, request.reference)
    with pytest.raises(NotFound):
        selectors.task_for(olivia, task.pk)
    assert not selectors.inbox_for(olivia).filter(pk=task.pk).exists()
    assert not selectors.requests_made_by(olivia).filter(pk=request.pk).exists()
    assert not selectors.exception_queue(olivia).exists()
    # The people involved do see it.
    assert selectors.request_for(bob, request.reference) == request
    assert selectors.task_for(bob, task.pk) == task
    assert selectors.inbox_for(bob).filter(pk=task.pk).exists()
    assert selectors.requests_made_by(carol).filter(pk=request.pk).exists()


def test_every_selector_refuses_another_tenants_user(tenant_a, tenant_b, carol, dave):
    with tenant_context(tenant_a):
        request = submit_capital(carol)
        (task,) = pending(request)
        reference, task_id = request.reference, task.pk
    with tenant_context(tenant_b):
        assert not selectors.requests_visible_to(dave).filter(reference=reference).exists()
        with pytest.raises(NotFound):
            selectors.request_for(dave, reference)
        with pytest.raises(NotFound):
            selectors.task_for(dave, task_id)
        assert not selectors.inbox_for(dave).filter(request__reference=reference).exists()
        assert not selectors.requests_made_by(dave).filter(reference=reference).exists()
        assert not selectors.exception_queue(dave).exists()


def test_the_detail_page_is_404_for_outsiders(tenant_a, client_a, client_b, carol):
    with tenant_context(tenant_a):
        reference = submit_capital(carol).reference
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get(f"/requests/{reference}/").status_code == 404
    assert client_a.get(f"/requests/{reference}/packet.pdf").status_code == 404
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get(f"/requests/{reference}/").status_code == 404


def test_a_share_lets_one_colleague_in_and_nobody_else(tenant_a, client_a, carol, olivia, frank):
    with tenant_context(tenant_a):
        request = submit_capital(carol)
    sign_in(client_a, "carol@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/")
    assert b"Let a colleague see this request" in page.content
    response = client_a.post(f"/requests/{request.reference}/share", {"email": "olivia@alpha.test"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert olivia.has_perm("approvals.view_approvalrequest", request)
        assert selectors.request_for(olivia, request.reference) == request
        assert not selectors.can_view_request(frank, request)
    client_a.logout()
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get(f"/requests/{request.reference}/").status_code == 200
    client_a.logout()
    sign_in(client_a, "frank@alpha.test")
    assert client_a.get(f"/requests/{request.reference}/").status_code == 404
    # Frank cannot share what he cannot see.
    assert (
        client_a.post(
            f"/requests/{request.reference}/share", {"email": "frank@alpha.test"}
        ).status_code
        == 404
    )


def test_only_the_requester_and_admins_may_share(in_tenant_a, carol, bob, alice, frank, olivia):
    request = submit_capital(carol)
    with pytest.raises(NotAllowed):
        request_share(actor=bob, approval=request, user=olivia)  # an approver may not
    assert not selectors.can_view_request(olivia, request)
    request_share(actor=alice, approval=request, user=frank)
    assert selectors.can_view_request(frank, request)
    assert not selectors.can_view_request(olivia, request)


def test_department_viewer_role_sees_the_departments_requests(in_tenant_a, carol, olivia, frank):
    workflow = WorkflowDefinition.objects.get(key="capital-purchase")
    radiology = Department.objects.get(key="radiology")
    in_radiology = request_create(
        actor=carol, workflow=workflow, data=capital_data(), department=radiology
    )
    cardiology = Department.objects.create(key="cardiology", name="Cardiology")
    elsewhere = request_create(
        actor=carol, workflow=workflow, data=capital_data(), department=cardiology
    )
    role("department_viewer_radiology", olivia)
    visible = selectors.requests_visible_to(olivia)
    assert visible.filter(pk=in_radiology.pk).exists()
    assert not visible.filter(pk=elsewhere.pk).exists()
    assert not selectors.requests_visible_to(frank).filter(pk=in_radiology.pk).exists()
    role("department_viewer_cardiology", frank)  # another department's viewer: still nothing
    assert not selectors.requests_visible_to(frank).filter(pk=in_radiology.pk).exists()


def test_task_for_agrees_with_the_permission_filter_for_everyone(in_tenant_a, carol, bob):
    """task_for skips the filter when the loaded task plainly admits the user (requester,
    assignee, admin); for every person of the tenant, active or not, it must still answer
    exactly what requests_visible_to answers."""
    from apps.accounts.models import User

    request = submit_capital(carol)
    (task,) = pending(request)
    bob.is_active = False  # the assignee, deactivated: the shortcut must not let them in
    bob.save(update_fields=["is_active"])
    people = list(User.objects.all())
    assert len(people) >= 4
    seen = {}
    for person in people:
        visible = selectors.requests_visible_to(person).filter(pk=request.pk).exists()
        try:
            selectors.task_for(person, task.pk)
            found = True
        except NotFound:
            found = False
        assert found == visible, person.email
        seen[person.email] = found
    assert seen[carol.email] is True
    assert seen[bob.email] is False
    assert False in seen.values()
    assert list(seen.values()).count(True) >= 2  # admins see it too
