"""`advance`: routing, quorum, segregation of duties, authority, delegation and the lifecycle."""

from datetime import timedelta
from decimal import Decimal

import pytest
from wf_helpers import (
    BUYER,
    BUYER2,
    CFO,
    CFO2,
    DIRECTOR,
    HEAD,
    MANAGER,
    NOW,
    OUTSIDER,
    REQUESTER,
    Runner,
    directory,
    make_spec,
    step,
)

from apps.workflows.engine import (
    Amend,
    Cancel,
    Claim,
    CreateTask,
    Decide,
    Delegate,
    Delegation,
    DelegationNotAllowed,
    EmitEvent,
    ExpireTask,
    InsufficientAuthority,
    InvalidAssignee,
    InvalidSubmission,
    InvalidTransition,
    NotAnApprover,
    NotRequester,
    RaiseException,
    ReasonRequired,
    RecordTouchless,
    RepeatApprover,
    RequesterCannotDecide,
    ResolveException,
    Resubmit,
    StartClock,
    Submit,
    TaskAlreadyDecided,
    Withdraw,
    state_from_dict,
    state_to_dict,
)

FORM = {"amount": "5000", "vendor": "Acme"}


def submit(runner, amount="5000", **extra):
    return runner(Submit(REQUESTER, {**FORM, "amount": amount, **extra}, "standard", "radiology"))


def approve(runner, who, **kw):
    return runner(Decide(runner.task_of(who), who, "approve", **kw))


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("requester_manager", [MANAGER]),
        ("department_head", [HEAD]),
        (f"user:{CFO}", [CFO]),
        ("role:cfo", [CFO, CFO2]),
        ("field:reviewer", [DIRECTOR]),
        ("role:buyers", [BUYER, BUYER2]),  # the requester is a buyer but never their own approver
    ],
)
def test_selectors_resolve_to_assignees(selector, expected):
    r = Runner(make_spec([step("a", [selector], quorum="all")]))
    submit(r, reviewer=DIRECTOR)
    assert r.s.status == "in_review"
    assert r.assignees() == expected


@pytest.mark.parametrize(
    ("quorum", "decisions", "status"),
    [
        ("any", [(CFO, "approve")], "approved"),
        ("any", [(CFO, "reject")], "denied"),
        ("all", [(CFO, "approve")], "in_review"),
        ("all", [(CFO, "approve"), (CFO2, "approve")], "approved"),
        ("all", [(CFO, "approve"), (CFO2, "reject")], "denied"),
        (2, [(CFO, "approve"), (CFO2, "approve")], "approved"),
        (2, [(CFO, "reject")], "denied"),
        (1, [(CFO2, "approve")], "approved"),
    ],
)
def test_quorum(quorum, decisions, status):
    r = Runner(make_spec([step("a", ["role:cfo"], quorum=quorum)]))
    submit(r)
    for who, decision in decisions:
        reason = {"reason_code": "budget", "comment": "No budget"} if decision == "reject" else {}
        r(Decide(r.task_of(who), who, decision, **reason))
    assert r.s.status == status
    if status in ("approved", "denied"):
        assert r.pending() == []  # tasks left pending when the step was decided are skipped
        assert all(t.status != "pending" for t in r.s.tasks)


def test_stages_run_in_order_and_steps_in_parallel():
    r = Runner(
        make_spec(
            [step("m", ["requester_manager"]), step("h", ["department_head"])],
            [step("c", [f"user:{CFO}"])],
        )
    )
    submit(r)
    assert sorted(r.assignees()) == sorted([MANAGER, HEAD])
    approve(r, MANAGER)
    assert r.assignees() == [HEAD]
    approve(r, HEAD)
    assert r.assignees() == [CFO]
    approve(r, CFO)
    assert r.s.status == "approved"
    assert not r.s.touchless
    assert [t.key for t in r.s.tasks] == ["t1", "t2", "t3"]


@pytest.mark.parametrize(
    ("extra", "amount", "status", "touchless"),
    [
        ({"when": {"field": "amount", "op": ">", "value": 100000}}, "5000", "approved", True),
        (
            {"auto": {"skip_when": {"field": "payer", "op": "==", "value": "Acme Health"}}},
            "5000",
            "approved",
            True,
        ),
        (
            {"auto": {"approve_when": {"field": "amount", "op": "<", "value": 10000}}},
            "5000",
            "approved",
            True,
        ),
        (
            {"auto": {"approve_when": {"field": "amount", "op": "<", "value": 10000}}},
            "50000",
            "in_review",
            False,
        ),
    ],
)
def test_when_and_auto_rules(extra, amount, status, touchless):
    r = Runner(make_spec([step("a", ["requester_manager"], **extra)]))
    submit(r, amount, payer="Acme Health")
    assert r.s.status == status
    assert r.s.touchless is touchless
    assert (RecordTouchless() in r.effects) is touchless


def test_repeat_approver_is_excluded_unless_allowed():
    spec = make_spec([step("a", [f"user:{CFO}"])], [step("b", ["role:cfo"], quorum="all")])
    r = Runner(spec)
    submit(r)
    approve(r, CFO)
    assert r.assignees() == [CFO2]
    spec2 = make_spec(
        [step("a", [f"user:{CFO}"])],
        [step("b", ["role:cfo"], quorum="all", allow_repeat_approver=True)],
    )
    r2 = Runner(spec2)
    submit(r2)
    approve(r2, CFO)
    assert r2.assignees() == [CFO, CFO2]


def test_nobody_left_means_exception_never_approval():
    r = Runner(make_spec([step("a", [f"user:{REQUESTER}"])]))
    submit(r)
    assert r.s.status == "exception"
    assert "no eligible approver" in (r.s.exception_reason or "")
    assert any(isinstance(e, RaiseException) for e in r.effects)
    assert r.pending() == []
    with pytest.raises(InvalidAssignee):
        r(ResolveException("admin@example.org", "a", REQUESTER))
    r(ResolveException("admin@example.org", "a", CFO))
    assert r.s.status == "in_review"
    approve(r, CFO)
    assert r.s.status == "approved"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("5000", [MANAGER]), ("50000", [DIRECTOR]), ("500000", [CFO])],
)
def test_authority_escalates_up_the_manager_chain(amount, expected):
    r = Runner(make_spec([step("a", ["requester_manager"], authority=True)]))
    submit(r, amount)
    assert r.assignees() == expected


def test_authority_with_a_cyclic_chain_and_nobody_qualified_is_an_exception():
    d = directory(managers={REQUESTER: MANAGER, MANAGER: DIRECTOR, DIRECTOR: MANAGER})
    r = Runner(make_spec([step("a", ["requester_manager"], authority=True)]), d)
    submit(r, "500000")
    assert r.s.status == "exception"
    assert "authority" in (r.s.exception_reason or "")


def test_active_delegation_replaces_the_assignee():
    d = directory(
        delegations={
            MANAGER: Delegation(BUYER, NOW - timedelta(days=1), NOW + timedelta(days=1)),
            HEAD: Delegation(REQUESTER, NOW - timedelta(days=1)),
            CFO: Delegation(BUYER2, NOW + timedelta(days=1)),
        }
    )
    r = Runner(
        make_spec(
            [step("a", ["requester_manager", "department_head", f"user:{CFO}"], quorum="all")]
        ),
        d,
    )
    submit(r)
    tasks = {t.assignee: t.on_behalf_of for t in r.s.tasks}
    # delegation to the requester is ignored; a delegation that has not started yet too
    assert tasks == {BUYER: MANAGER, HEAD: None, CFO: None}


def test_delegate_event_rules():
    r = Runner(make_spec([step("a", ["requester_manager"], authority=True)]))
    submit(r)
    task = r.pending()[0]
    with pytest.raises(DelegationNotAllowed):
        r(Delegate(task, MANAGER, REQUESTER))
    with pytest.raises(NotAnApprover):
        r(Delegate(task, OUTSIDER, BUYER))
    r(Delegate(task, MANAGER, BUYER))
    assert r.s.task(task).status == "delegated"
    new = r.s.tasks[-1]
    assert (new.assignee, new.on_behalf_of) == (BUYER, MANAGER)
    approve(r, BUYER)
    assert r.s.status == "approved"


def test_delegation_cannot_exceed_the_delegators_authority():
    r = Runner(make_spec([step("a", ["role:buyers"], authority=False)]))
    submit(r, "60000")
    spec_auth = make_spec([step("a", ["role:buyers"], authority=True)])
    r.spec = spec_auth  # buyers' 50k limit does not cover 60k: delegating must be refused
    with pytest.raises(DelegationNotAllowed, match="authority"):
        r(Delegate(r.task_of(BUYER), BUYER, CFO))


def test_reject_needs_reason_code_and_text():
    r = Runner(make_spec([step("a", ["requester_manager"])]))
    submit(r)
    for kw in (
        {},
        {"reason_code": "budget"},
        {"comment": "no"},
        {"reason_code": "x", "comment": "  "},
    ):
        with pytest.raises(ReasonRequired):
            r(Decide("t1", MANAGER, "reject", **kw))
    r(Decide("t1", MANAGER, "reject", reason_code="budget", comment="Over budget"))
    assert r.s.status == "denied"


def test_requester_and_outsiders_cannot_decide_and_decided_tasks_stay_decided():
    r = Runner(make_spec([step("a", ["requester_manager"])]))
    submit(r)
    with pytest.raises(RequesterCannotDecide):
        r(Decide("t1", REQUESTER, "approve"))
    with pytest.raises(NotAnApprover):
        r(Decide("t1", OUTSIDER, "approve"))
    approve(r, MANAGER)
    with pytest.raises(TaskAlreadyDecided) as info:
        r(Decide("t1", MANAGER, "approve"))
    assert info.value.status == "approved"
    assert info.value.code == "task_already_decided"


def test_request_info_and_resubmit_go_back_to_the_asker():
    r = Runner(
        make_spec(
            [step("a", ["requester_manager"])],
            sla={"standard": {"hours": 168, "pause_on_needs_info": True}},
        )
    )
    submit(r)
    assert any(isinstance(e, StartClock) and e.scope == "request" for e in r.effects)
    with pytest.raises(ReasonRequired):
        r(Decide("t1", MANAGER, "request_info"))
    r(Decide("t1", MANAGER, "request_info", comment="Attach the quote"))
    assert (r.s.status, r.s.task("t1").status) == ("needs_info", "info_requested")
    assert EmitEvent("request.needs_info", {"status": "needs_info"}) in r.last
    with pytest.raises(NotRequester):
        r(Resubmit(OUTSIDER))
    r(Resubmit(REQUESTER, {**FORM, "vendor": "Acme Ltd"}))
    assert r.s.status == "in_review"
    assert r.assignees() == [MANAGER]
    assert r.s.data["vendor"] == "Acme Ltd"
    approve(r, MANAGER)
    assert r.s.status == "approved"


def test_return_to_requester_restarts_the_step():
    r = Runner(make_spec([step("a", ["role:cfo"], quorum="all", on_reject="return_to_requester")]))
    submit(r)
    approve(r, CFO)
    r(Decide(r.task_of(CFO2), CFO2, "reject", reason_code="incomplete", comment="Missing quote"))
    assert r.s.status == "needs_info"
    r(Resubmit(REQUESTER))
    assert r.s.status == "in_review"
    assert sorted(r.assignees()) == [CFO, CFO2]  # the earlier approval no longer counts
    approve(r, CFO)
    approve(r, CFO2)
    assert r.s.status == "approved"


def test_amend_after_an_approval_reroutes_to_approvers_already_passed():
    r = Runner(make_spec([step("a", ["requester_manager"])], [step("b", [f"user:{CFO}"])]))
    submit(r)
    approve(r, MANAGER)
    assert r.assignees() == [CFO]
    with pytest.raises(NotRequester):
        r(Amend(CFO, {**FORM, "amount": "9000"}))
    r(Amend(REQUESTER, {**FORM, "amount": "9000"}))
    assert r.s.amount == Decimal("9000.00")
    assert r.assignees() == [MANAGER]
    assert r.s.approvals == ()
    assert any(isinstance(e, EmitEvent) and e.type == "request.rerouted" for e in r.last)
    approve(r, MANAGER)
    approve(r, CFO)
    assert r.s.status == "approved"


def test_amend_with_identical_data_changes_nothing():
    r = Runner(make_spec([step("a", ["requester_manager"])]))
    submit(r)
    before = r.s
    r(Amend(REQUESTER, FORM))
    assert r.s == before
    assert r.last == ()


def test_partial_approval_in_the_final_step():
    r = Runner(make_spec([step("a", ["requester_manager"])]))
    submit(r)
    approve(r, MANAGER, partial=True)
    assert r.s.status == "partially_approved"


def test_withdraw_and_cancel():
    r = Runner(make_spec([step("a", ["requester_manager"])]))
    submit(r)
    with pytest.raises(NotRequester):
        r(Withdraw(MANAGER))
    r(Withdraw(REQUESTER))
    assert (r.s.status, r.s.task("t1").status) == ("withdrawn", "skipped")
    with pytest.raises(InvalidTransition):
        r(Withdraw(REQUESTER))
    r2 = Runner(make_spec([step("a", ["requester_manager"])]))
    submit(r2)
    with pytest.raises(ReasonRequired):
        r2(Cancel("admin@example.org", " "))
    r2(Cancel("admin@example.org", "Duplicate"))
    assert r2.s.status == "cancelled"


def test_queue_claim():
    r = Runner(make_spec([step("a", ["role:buyers"], assignment="queue", authority=True)]))
    submit(r, "20000")
    task = r.pending()[0]
    assert (r.s.task(task).queue_role, r.s.task(task).assignee) == ("buyers", None)
    with pytest.raises(RequesterCannotDecide):
        r(Claim(task, REQUESTER))
    with pytest.raises(NotAnApprover):
        r(Claim(task, CFO))
    r(Claim(task, BUYER))
    with pytest.raises(InvalidTransition):
        r(Claim(task, BUYER2))
    approve(r, BUYER)
    assert r.s.status == "approved"


def test_queue_claim_checks_authority():
    d = directory(
        authority_limits={(BUYER, "capital"): Decimal(100), (BUYER2, "capital"): Decimal(10**6)}
    )
    r = Runner(make_spec([step("a", ["role:buyers"], assignment="queue", authority=True)]), d)
    submit(r, "20000")
    with pytest.raises(InsufficientAuthority):
        r(Claim(r.pending()[0], BUYER))


def test_parallel_steps_do_not_give_one_person_two_slots():
    r = Runner(make_spec([step("a", [f"user:{CFO}"]), step("b", ["role:cfo"])]))
    submit(r)
    assert [(t.step_key, t.assignee) for t in r.s.tasks] == [("a", CFO), ("b", CFO2)]


def test_repeat_approver_refused_at_decision_time():
    d = directory(role_members={"cfo": (CFO,), "buyers": (CFO,)})
    spec = make_spec(
        [
            step("a", ["role:cfo"], assignment="queue"),
            step("b", ["role:buyers"], assignment="queue"),
        ]
    )
    r = Runner(spec, d)
    submit(r)
    r(Decide("t1", CFO, "approve"))
    with pytest.raises(RepeatApprover):
        r(Decide("t2", CFO, "approve"))


def test_expired_tasks_leading_to_an_unreachable_quorum_raise_an_exception():
    r = Runner(make_spec([step("a", ["role:cfo"], quorum="all")]))
    submit(r)
    r(ExpireTask("t1"))
    assert r.s.status == "exception"
    with pytest.raises(TaskAlreadyDecided):
        r(ExpireTask("t1"))


def test_invalid_submission_is_refused():
    r = Runner(make_spec([step("a", ["requester_manager"])]))
    with pytest.raises(InvalidSubmission) as info:
        r(Submit(REQUESTER, {"amount": "abc"}))
    assert info.value.errors == {"amount": ["Enter a number."]}


def test_effects_and_state_round_trip():
    r = Runner(make_spec([step("a", ["requester_manager"], sla={"expedited": {"hours": 24}})]))
    r(Submit(REQUESTER, FORM, "expedited", "radiology"))
    create = next(e for e in r.effects if isinstance(e, CreateTask))
    assert (create.task_key, create.assignee, create.sla.hours) == ("t1", MANAGER, 24)
    assert state_from_dict(state_to_dict(r.s)) == r.s


def test_same_inputs_give_same_outputs():
    runs = []
    for _ in range(2):
        r = Runner(
            make_spec([step("a", ["role:cfo"], quorum="all")], [step("b", ["department_head"])])
        )
        submit(r)
        approve(r, CFO)
        runs.append((r.s, tuple(r.effects)))
    assert runs[0] == runs[1]
