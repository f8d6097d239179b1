"""System escalation events: `Reassign` hands an overdue task on, `AddApprover` adds a slot."""

import pytest
from wf_helpers import (
    BUYER,
    BUYER2,
    CFO,
    CFO2,
    DIRECTOR,
    MANAGER,
    REQUESTER,
    Runner,
    directory,
    make_spec,
    step,
)

from apps.workflows.engine import (
    AddApprover,
    CloseTask,
    CreateTask,
    Decide,
    InsufficientAuthority,
    InvalidAssignee,
    InvalidEvent,
    InvalidTransition,
    Reassign,
    StartClock,
    StopClock,
    Submit,
    TaskAlreadyDecided,
    Withdraw,
)

SLA = {"standard": {"hours": 24, "calendar": "business"}}


def started(amount="5000", approvers=("role:buyers",), **step_extra):
    runner = Runner(make_spec([step("buy", list(approvers), sla=SLA, **step_extra)]))
    runner(Submit(REQUESTER, {"amount": amount, "vendor": "Acme"}, "standard", "radiology"))
    return runner


def test_reassign_closes_the_task_and_gives_the_new_assignee_a_task_and_a_clock():
    runner = started()
    first = runner.task_of(BUYER)
    runner(Reassign(task_key=first, to=MANAGER, reason="sla breached"))
    assert runner.s.task(first).status == "delegated"
    assert runner.s.task(first).counts is False
    assert MANAGER in runner.assignees("buy")
    assert CloseTask(first, "delegated") in runner.last
    assert StopClock("task", first) in runner.last
    created = [e for e in runner.last if isinstance(e, CreateTask)]
    assert [(c.assignee, c.step_key) for c in created] == [(MANAGER, "buy")]
    assert any(isinstance(e, StartClock) and e.task_key == created[0].task_key for e in runner.last)
    runner(Decide(created[0].task_key, MANAGER, "approve"))
    assert runner.s.status == "approved"


def test_add_approver_keeps_the_existing_tasks_and_either_can_decide():
    runner = started()
    before = runner.pending("buy")
    runner(AddApprover(step_key="buy", assignee=DIRECTOR, reason="sla breached"))
    assert set(before) < set(runner.pending("buy"))
    assert DIRECTOR in runner.assignees("buy")
    runner(Decide(runner.task_of(BUYER2), BUYER2, "approve"))
    assert runner.s.status == "approved"


@pytest.mark.parametrize(
    ("make_event", "error"),
    [
        (lambda r: Reassign(r.task_of(BUYER), REQUESTER), InvalidAssignee),
        (lambda r: Reassign(r.task_of(BUYER), BUYER2), InvalidAssignee),  # holds a slot already
        (lambda r: Reassign(r.task_of(BUYER), BUYER), InvalidAssignee),  # already theirs
        (lambda r: Reassign("t99", MANAGER), Exception),
        (lambda r: AddApprover("buy", REQUESTER), InvalidAssignee),
        (lambda r: AddApprover("buy", BUYER), InvalidAssignee),
        (lambda r: AddApprover("nope", MANAGER), InvalidEvent),
    ],
)
def test_escalation_targets_are_checked(make_event, error):
    runner = started()
    with pytest.raises(error):
        runner(make_event(runner))


def test_escalation_never_bypasses_authority():
    runner = started(amount="60000", approvers=("role:cfo",), authority=True)
    with pytest.raises(InsufficientAuthority):
        runner(Reassign(runner.task_of(CFO), MANAGER))  # the manager's limit is 10,000
    runner(Reassign(runner.task_of(CFO), DIRECTOR))  # 100,000 covers it
    assert sorted(runner.assignees("buy")) == sorted([CFO2, DIRECTOR])


def test_inactive_people_are_not_escalation_targets():
    runner = started()
    runner.directory = directory(active_users=frozenset({BUYER, BUYER2, REQUESTER}))
    with pytest.raises(InvalidAssignee):
        runner(Reassign(runner.task_of(BUYER), MANAGER))


def test_decided_tasks_and_finished_requests_cannot_be_escalated():
    runner = started()
    task = runner.task_of(BUYER)
    runner(Decide(runner.task_of(BUYER2), BUYER2, "approve"))
    with pytest.raises(TaskAlreadyDecided):
        runner(Reassign(task, MANAGER))
    with pytest.raises(InvalidTransition):
        runner(AddApprover("buy", MANAGER))
    withdrawn = started()
    withdrawn(Withdraw(REQUESTER))
    with pytest.raises(InvalidTransition):
        withdrawn(AddApprover("buy", MANAGER))
