"""Authority, segregation of duties and quorum hold on every path that can complete a step:
an admin resolving an exception cannot send a $500,000 request to someone with a $10,000 limit
(it goes up that person's manager chain, or is refused), nor to themselves; the requester never
approves through any path; a lowered limit stops an approval that routing allowed earlier."""

from decimal import Decimal

import pytest

from apps.accounts.models import User
from apps.approvals import services
from apps.approvals.exceptions import ApprovalError
from apps.approvals.services import DecisionInput, task_decide
from apps.people.models import AuthorityLimit, Role
from apps.workflows import engine
from tests.approvals.helpers import pending, submit_capital

APPROVE = DecisionInput("approve")


def _person(email: str, name: str, *, role: Role | None = None, manager: User | None = None):
    user = User.objects.create_user(email, "x", full_name=name)
    if role is not None:
        role.members.add(user)
    if manager is not None:
        user.manager = manager
        user.save(update_fields=["manager"])
    return user


@pytest.fixture
def stuck_at_cfo(in_tenant_a, carol, bob, victor):
    """A $500,000 capital request whose CFO step found nobody (the CFO role is empty)."""
    Role.objects.get(key="cfo").members.clear()
    request = submit_capital(carol, "500000")
    for approver in (bob, victor):
        (task,) = pending(request)
        task_decide(actor=approver, task=task, decision=APPROVE)
    request.refresh_from_db()
    assert request.status == "exception"
    assert request.engine_state["exception_step"] == "cfo"
    return request


@pytest.fixture
def ten_k_manager(in_tenant_a):
    role = Role.objects.create(key="unit_manager", name="Unit manager")
    AuthorityLimit.objects.create(role=role, category="capital", limit=Decimal("10000"))
    return _person("mona@alpha.test", "Mona Manager", role=role)


def test_resolution_to_a_10k_manager_without_a_chain_is_refused(stuck_at_cfo, alice, ten_k_manager):
    with pytest.raises(ApprovalError) as refused:
        services.exception_resolve(actor=alice, approval=stuck_at_cfo, assignee=ten_k_manager)
    assert refused.value.code == "insufficient_authority"
    stuck_at_cfo.refresh_from_db()
    assert stuck_at_cfo.status == "exception"
    assert pending(stuck_at_cfo) == []


def test_resolution_to_a_10k_manager_goes_up_their_chain(stuck_at_cfo, alice, ten_k_manager):
    board = Role.objects.get(key="board")
    chair = _person("chair@alpha.test", "Chair of the Board", role=board)
    ten_k_manager.manager = chair
    ten_k_manager.save(update_fields=["manager"])
    services.exception_resolve(actor=alice, approval=stuck_at_cfo, assignee=ten_k_manager)
    stuck_at_cfo.refresh_from_db()
    (task,) = pending(stuck_at_cfo)
    assert task.assignee == chair  # never mona, whose $10,000 does not cover $500,000
    assert stuck_at_cfo.status == "in_review"
    task_decide(actor=chair, task=task, decision=APPROVE)
    stuck_at_cfo.refresh_from_db()
    assert stuck_at_cfo.status == "approved"


def test_an_admin_cannot_resolve_an_exception_to_themselves(stuck_at_cfo, alice):
    Role.objects.get(key="board").members.add(alice)  # even with the authority
    with pytest.raises(ApprovalError) as refused:
        services.exception_resolve(actor=alice, approval=stuck_at_cfo, assignee=alice)
    assert refused.value.code == "invalid_assignee"


@pytest.mark.parametrize("who", ["carol", "victor"])
def test_resolution_never_goes_to_the_requester_or_a_previous_approver(
    stuck_at_cfo, alice, carol, victor, who
):
    assignee = {"carol": carol, "victor": victor}[who]
    Role.objects.get(key="board").members.add(assignee)  # authority is not the reason
    with pytest.raises(ApprovalError) as refused:
        services.exception_resolve(actor=alice, approval=stuck_at_cfo, assignee=assignee)
    assert refused.value.code == "invalid_assignee"


def test_a_lowered_limit_stops_an_approval_routing_allowed(in_tenant_a, carol, bob, victor, frank):
    request = submit_capital(carol, "200000")
    for approver in (bob, victor):
        (task,) = pending(request)
        task_decide(actor=approver, task=task, decision=APPROVE)
    (task,) = pending(request)
    assert task.assignee == frank
    AuthorityLimit.objects.filter(role__key="cfo", category="capital").update(
        limit=Decimal("150000")
    )
    with pytest.raises(ApprovalError) as refused:
        task_decide(actor=frank, task=task, decision=APPROVE)
    assert refused.value.code == "insufficient_authority"
    request.refresh_from_db()
    assert request.status == "in_review"


def test_the_requester_never_approves_through_any_path(in_tenant_a, carol, bob, alice):
    """Carol is made a member of every approving role; no path gives her a task or a decision."""
    for role in Role.objects.all():
        role.members.add(carol)
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    assert task.assignee != carol
    attempts = [
        lambda: task_decide(actor=carol, task=task, decision=APPROVE),
        lambda: services.task_delegate(actor=task.assignee, task=task, to=carol),
        lambda: services.request_apply_system_event(
            actor=alice, approval=request, event=engine.Reassign(task.key, carol.email, "test")
        ),
        lambda: services.request_apply_system_event(
            actor=alice,
            approval=request,
            event=engine.AddApprover(task.step_key, carol.email, "test"),
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ApprovalError):
            attempt()
    assert not request.tasks.filter(assignee=carol).exists()
    assert not request.decisions.filter(actor=carol).exists()
