"""The sentences a request's timeline shows for an applied engine outcome: who decided, where a
task was sent, the new status, an exception, a claim. Pure functions, so `_persist` only writes
rows."""

from __future__ import annotations

from apps.approvals.choices import RequestStatus

STATUS_WORDS = dict(RequestStatus.choices)
DECISION_WORDS = {
    "approve": "approved",
    "reject": "denied",
    "request_info": "asked for information",
}


def decision_sentence(
    *, actor_name: str | None, on_behalf_name: str, words: str, step_name: str
) -> str:
    on_behalf = f" on behalf of {on_behalf_name}" if on_behalf_name else ""
    actor = actor_name if actor_name is not None else "System"
    return f"{actor}{on_behalf} {words} ({step_name})."


def task_sent_sentence(
    *,
    step_name: str | None,
    assignee_name: str | None,
    queue_name: str | None,
    external: str | None = None,
) -> str:
    who = (
        "the payer"
        if external == "payer"
        else assignee_name
        if assignee_name is not None
        else f"the {queue_name} queue"
        if queue_name is not None
        else "an approver"
    )
    return f"{step_name}: sent to {who}."


def payer_decision_sentence(*, words: str, step_name: str, partial: bool) -> str:
    part = " in part" if partial else ""
    return f"The payer {words}{part} ({step_name})."


def status_sentence(*, words: str, note: str) -> str:
    suffix = f" {note}" if note else ""
    return f"Status: {words}.{suffix}"


def exception_sentence(reason: str) -> str:
    return f"Needs an administrator: {reason}"


def claim_sentence(*, actor_name: str | None, step_name: str | None) -> str:
    return f"{actor_name or ''} claimed {step_name}."
