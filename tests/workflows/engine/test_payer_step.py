"""The payer step: `"approvers": ["payer"]` submits the request to the payer named on the form,
and only the payer's answer (`PayerDecide`) decides it."""

import pytest
from wf_helpers import CFO, DIRECTOR, REQUESTER, Runner, make_spec, spec_doc, step

from apps.workflows.engine import (
    AddApprover,
    Claim,
    CreateTask,
    Decide,
    EmitEvent,
    InvalidAssignee,
    InvalidEvent,
    NotAnApprover,
    Notify,
    PayerDecide,
    ReasonRequired,
    Reassign,
    SpecError,
    StopClock,
    Submit,
    SubmitToPayer,
    TaskAlreadyDecided,
    parse_spec,
    spec_to_dict,
    state_from_dict,
    state_to_dict,
)

FORM = {"amount": "5000", "vendor": "Acme", "payer": "Acme Health"}
SLA = {"standard": {"hours": 168}}


def spec(**payer_extra):
    return make_spec(
        [step("review", [f"user:{CFO}"])],
        [step("payer", ["payer"], **payer_extra)],
        sla=SLA,
    )


def submitted(**payer_extra) -> Runner:
    r = Runner(spec(**payer_extra))
    r(Submit(REQUESTER, FORM, "standard", "radiology"))
    r(Decide(r.task_of(CFO), CFO, "approve"))
    return r


def payer_task(r: Runner) -> str:
    (key,) = r.pending("payer")
    return key


def test_reaching_the_payer_step_submits_to_the_payer_on_the_form():
    r = submitted()
    assert r.s.status == "in_review"
    key = payer_task(r)
    task = r.s.task(key)
    assert task is not None
    assert (task.assignee, task.queue_role, task.external) == (None, None, "payer")
    assert SubmitToPayer(key, "payer", "Acme Health") in r.last
    created = [e for e in r.last if isinstance(e, CreateTask)]
    assert [c.external for c in created] == ["payer"]
    # nobody is told to act: the payer is not a person here
    assert not [e for e in r.last if isinstance(e, Notify) and e.kind == "task_assigned"]


def test_payer_approval_completes_the_request_and_stops_the_clock():
    r = submitted()
    r(PayerDecide(payer_task(r), "approve"))
    assert r.s.status == "approved"
    assert StopClock("request", None) in r.last
    assert r.s.step("payer").via == "payer"
    assert r.s.approvals[-1].via == "payer"
    decided = [e for e in r.last if isinstance(e, EmitEvent) and e.type == "task.decided"]
    assert decided[0].payload["via"] == "payer"
    assert Notify("request_approved", (REQUESTER,)) in r.last


def test_partial_approval_ends_partially_approved():
    r = submitted()
    r(PayerDecide(payer_task(r), "approve", partial=True))
    assert r.s.status == "partially_approved"


def test_payer_denial_needs_its_reason_and_denies_with_it():
    r = submitted()
    key = payer_task(r)
    with pytest.raises(ReasonRequired):
        r(PayerDecide(key, "reject"))
    r(PayerDecide(key, "reject", reason_code="payer-a3", comment="Not medically necessary."))
    assert r.s.status == "denied"
    task = r.s.task(key)
    assert task is not None
    assert (task.decided_by, task.reason_code, task.comment) == (
        "payer",
        "payer-a3",
        "Not medically necessary.",
    )
    assert Notify("request_denied", (REQUESTER,)) in r.last
    with pytest.raises(TaskAlreadyDecided):
        r(PayerDecide(key, "approve"))


def test_return_to_requester_on_payer_denial():
    r = submitted(on_reject="return_to_requester")
    r(PayerDecide(payer_task(r), "reject", reason_code="x", comment="Need the MRI report."))
    assert r.s.status == "needs_info"


def test_nobody_but_the_payer_decides_or_takes_the_payer_task():
    r = submitted()
    key = payer_task(r)
    with pytest.raises(NotAnApprover):
        r(Decide(key, DIRECTOR, "approve"))
    with pytest.raises(NotAnApprover):
        r(Claim(key, DIRECTOR))
    with pytest.raises(InvalidAssignee):
        r(Reassign(key, DIRECTOR))
    with pytest.raises(InvalidAssignee):
        r(AddApprover("payer", DIRECTOR))
    with pytest.raises(InvalidEvent):
        r(PayerDecide(key, "pend"))
    r2 = Runner(spec())
    r2(Submit(REQUESTER, FORM, "standard", "radiology"))
    with pytest.raises(NotAnApprover):  # a person's task is not the payer's to decide
        r2(PayerDecide(r2.task_of(CFO), "approve"))


def test_state_round_trips_with_the_payer_task():
    r = submitted()
    assert state_from_dict(state_to_dict(r.s)) == r.s


def test_blank_payer_answer_is_submitted_as_none():
    r = Runner(spec())
    r(Submit(REQUESTER, {"amount": "5000"}, "standard", "radiology"))
    r(Decide(r.task_of(CFO), CFO, "approve"))
    assert SubmitToPayer(payer_task(r), "payer", None) in r.last


def test_payer_spec_round_trips_and_is_checked():
    parsed = spec(payer_field="vendor")
    assert parse_spec(spec_to_dict(parsed)) == parsed
    _, payer_step = parsed.step("payer")
    assert payer_step.is_payer
    assert payer_step.payer_field == "vendor"

    def problems(*steps):
        with pytest.raises(SpecError) as caught:
            parse_spec(spec_doc(list(steps)))
        return [str(p) for p in caught.value.problems]

    assert problems(step("p", ["payer", f"user:{CFO}"])) == [
        'stages[0].steps[0].approvers: "payer" is the only approver of a payer step'
    ]
    assert problems(step("p", ["payer"], payer_field="nope")) == [
        'stages[0].steps[0].payer_field: unknown field "nope" (the field naming the payer)'
    ]
    assert problems(step("p", ["payer"], payer_field="amount")) == [
        'stages[0].steps[0].payer_field: field "amount" is a money field; use choice or text'
    ]
    assert problems(step("p", [f"user:{CFO}"], payer_field="payer")) == [
        'stages[0].steps[0].payer_field: only a payer step ("approvers": ["payer"])'
    ]
    assert problems(step("p", ["payer"], authority=True)) == [
        "stages[0].steps[0].authority: a payer step has no authority check"
    ]
