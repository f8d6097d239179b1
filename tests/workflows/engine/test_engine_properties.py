"""Property tests: random specs and random event sequences never break the engine's invariants."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wf_helpers import BUYER, BUYER2, CFO, CFO2, DIRECTOR, HEAD, MANAGER, NOW, REQUESTER, directory

from apps.workflows.engine import (
    AddApprover,
    Amend,
    Claim,
    Decide,
    Delegate,
    EngineError,
    ExpireTask,
    Reassign,
    RequesterCannotDecide,
    RequestState,
    ResolveException,
    Resubmit,
    Submit,
    TaskAlreadyDecided,
    Withdraw,
    WorkflowSpec,
    advance,
    parse_spec,
)

PEOPLE = [REQUESTER, MANAGER, DIRECTOR, CFO, CFO2, HEAD, BUYER, BUYER2]
SELECTORS = [
    "requester_manager",
    "department_head",
    "role:cfo",
    "role:buyers",
    f"user:{CFO}",
    f"user:{REQUESTER}",
    "field:reviewer",
]
DIRECTORY = directory()


@st.composite
def step_docs(draw, key):
    approvers = draw(st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=3, unique=True))
    queue = all(a.startswith("role:") for a in approvers) and draw(st.booleans())
    single = sum(1 for a in approvers if not a.startswith("role:"))
    roles = len(approvers) - single
    quorum = draw(st.sampled_from(["any", "all", 1, 2]))
    if (
        isinstance(quorum, int)
        and quorum > (roles if queue or not roles else len(approvers))
        and (queue or not roles)
    ):
        quorum = "any"
    doc = {
        "key": key,
        "name": key,
        "approvers": approvers,
        "quorum": quorum,
        "on_reject": draw(st.sampled_from(["deny", "return_to_requester"])),
        "authority": draw(st.booleans()),
        "allow_repeat_approver": draw(st.booleans()),
        "assignment": "queue" if queue else "each",
    }
    if draw(st.booleans()):
        doc["when"] = {"field": "amount", "op": draw(st.sampled_from([">", "<"])), "value": 20000}
    rule = draw(st.sampled_from([None, "approve_when", "skip_when"]))
    if rule:
        doc["auto"] = {rule: {"field": "amount", "op": "<", "value": 1000}}
    return doc


@st.composite
def specs(draw) -> WorkflowSpec:
    stages, n = [], 0
    for i in range(draw(st.integers(1, 3))):
        steps = []
        for _ in range(draw(st.integers(1, 2))):
            steps.append(draw(step_docs(f"st{n}")))
            n += 1
        stages.append({"key": f"s{i}", "name": f"S{i}", "steps": steps})
    return parse_spec(
        {
            "key": "p",
            "name": "P",
            "category": "capital",
            "reference_prefix": "PR",
            "amount_field": "amount",
            "form": {
                "fields": [
                    {"name": "amount", "type": "money", "label": "A", "required": True},
                    {"name": "reviewer", "type": "user", "label": "R"},
                ]
            },
            "stages": stages,
        }
    )


amounts = st.sampled_from(["500", "5000", "50000", "5000000"])
events = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "decide",
                "decide",
                "decide",
                "withdraw",
                "resubmit",
                "amend",
                "expire",
                "delegate",
                "claim",
                "resolve",
                "resolve",
                "reassign",
                "add_approver",
            ]
        ),
        st.integers(1, 12),
        st.sampled_from(PEOPLE),
        st.sampled_from(PEOPLE),
        st.sampled_from(["approve", "approve", "reject", "request_info"]),
        amounts,
        st.booleans(),
    ),
    max_size=20,
)


def build(
    kind, key, actor, other, decision, amount, partial, state: RequestState, spec: WorkflowSpec
):
    task = f"t{key}"
    data = {"amount": amount, "reviewer": other}
    if kind == "decide":
        return Decide(task, actor, decision, reason_code="r", comment="because", partial=partial)
    if kind == "withdraw":
        return Withdraw(actor if partial else REQUESTER)
    if kind == "resubmit":
        return Resubmit(REQUESTER, data if partial else None)
    if kind == "amend":
        return Amend(REQUESTER, data)
    if kind == "expire":
        return ExpireTask(task)
    if kind == "delegate":
        return Delegate(task, actor, other)
    if kind == "claim":
        return Claim(task, actor)
    if kind == "reassign":
        return Reassign(task, other, "overdue")
    if kind == "add_approver":
        active = [s.key for s in state.steps if s.status == "active"] or ["st0"]
        return AddApprover(active[0], other, "overdue")
    steps = [s.key for s in state.steps if s.status == "exception"] or [spec.stages[0].steps[0].key]
    # The resolving admin is sometimes a person of the directory, sometimes the assignee.
    admin = actor if partial else "admin@example.org"
    return ResolveException(admin, steps[0], other)


def covers(email: str, state: RequestState, spec: WorkflowSpec) -> bool:
    """Whether the directory's authority of `email` covers the request's amount."""
    from decimal import Decimal

    if state.amount is None:
        return True
    return DIRECTORY.limit(email, spec.category) >= Decimal(state.amount)


def met_quorum(state: RequestState, spec: WorkflowSpec) -> bool:
    for step_state in state.steps:
        if step_state.status == "skipped":
            continue
        if step_state.status != "approved":
            return False
        _, step = spec.step(step_state.key)
        if step_state.via == "rule":
            if not any(a.step_key == step.key and a.via == "rule" for a in state.approvals):
                return False
            continue
        tasks = [
            t
            for t in state.step_tasks(step.key)
            if t.status != "skipped"
            and not (step_state.resolved_by_admin and t.status == "expired")
        ]
        approved = sum(
            1 for t in tasks if t.status == "approved" and t.decided_by != state.requester
        )
        quorum = step.quorum  # an admin's resolution never lowers it
        if quorum == "any" and approved < 1:
            return False
        if quorum == "all" and (approved < 1 or approved != len(tasks)):
            return False
        if isinstance(quorum, int) and approved < quorum:
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), amount=amounts, script=events)
def test_random_event_sequences_keep_the_invariants(spec, amount, script):
    try:
        outcome = advance(
            None,
            Submit(REQUESTER, {"amount": amount, "reviewer": DIRECTOR}, "standard", "radiology"),
            spec=spec,
            directory=DIRECTORY,
            now=NOW,
        )
    except EngineError:
        return
    state = outcome.state
    unresolved_exception = state.status == "exception"
    for item in script:
        event = build(*item, state=state, spec=spec)
        key = getattr(event, "task_key", None)
        before = state.task(key) if key is not None else None
        before_tasks = state.tasks
        try:
            state = advance(state, event, spec=spec, directory=DIRECTORY, now=NOW).state
        except RequesterCannotDecide:
            continue
        except TaskAlreadyDecided as exc:
            refused_status = exc.status
            assert before is not None
            assert before.status == refused_status != "pending"
            continue
        except EngineError:
            continue
        if isinstance(event, Decide):
            assert event.actor != REQUESTER, "the requester decided their own request"
            assert before is not None
            assert before.status == "pending", "a decided task was decided again"
        if isinstance(event, Decide) and event.decision == "approve":
            decided = state.task(event.task_key)
            _, step = spec.step(decided.step_key)
            principal = decided.on_behalf_of or event.actor
            assert not step.authority or covers(principal, state, spec), (
                "approved beyond the approver's authority"
            )
        if isinstance(event, ResolveException | Reassign | AddApprover):
            _, step = spec.step(event.step_key if hasattr(event, "step_key") else
                                state.task(event.task_key).step_key)  # fmt: skip
            given = [t for t in state.tasks if t.key not in {b.key for b in before_tasks}]
            for task in given:
                assert task.assignee not in (state.requester, getattr(event, "actor", None))
                assert not step.authority or covers(task.assignee, state, spec), (
                    f"{type(event).__name__} gave a task beyond the assignee's authority"
                )
        if isinstance(event, ResolveException):
            unresolved_exception = False
        if state.status in ("approved", "partially_approved"):
            assert not unresolved_exception, "an exception turned into an approval"
            assert met_quorum(state, spec), "approved without every step meeting its quorum"
        if state.status == "exception":
            unresolved_exception = True
        assert all(t.decided_by != REQUESTER or t.status == "delegated" for t in state.tasks)
        assert all(t.assignee != REQUESTER for t in state.tasks)
        if not any(a.via == "human" for a in state.approvals) and state.status == "approved":
            assert state.human_decisions > 0 or state.touchless
