"""Turns the engine's effects into notifications: `Notify` becomes `notify(...)`, `CloseTask`
revokes the task's emailed action links. Runs inside the state change's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.models import User
from apps.approvals.effects import StateChange
from apps.notifications import services
from apps.workflows import engine
from apps.workflows.engine import FINAL_STATUSES

# When the payer's answer finishes a request, the requester hears that the payer decided.
PAYER_KINDS = {
    "request_approved": "payer_approved",
    "request_partially_approved": "payer_partially_approved",
    "request_denied": "payer_denied",
}


def handle_state_change(change: StateChange) -> None:
    request = change.request
    tasks = change.tasks
    for effect in change.effects:
        if isinstance(effect, engine.CloseTask) and effect.task_key in tasks:
            services.action_tokens_revoke(
                task=tasks[effect.task_key], reason=f"task {effect.status}", now=change.now
            )
    by_payer = isinstance(change.event, engine.PayerDecide)
    for effect in change.effects:
        if not isinstance(effect, engine.Notify):
            continue
        kind = PAYER_KINDS.get(effect.kind, effect.kind) if by_payer else effect.kind
        if set(effect.recipients) == {request.requester.email}:  # already loaded with the request
            recipients: Iterable[User] = [request.requester] if request.requester.is_active else []
        elif effect.recipients:
            recipients = User.objects.filter(email__in=effect.recipients, is_active=True)
        else:
            recipients = User.objects.filter(is_tenant_admin=True, is_active=True)
        services.notify(
            kind=kind,
            recipients=list(recipients),
            approval=request,
            task=tasks.get(effect.task_key) if effect.task_key else None,
        )
    # The requester hears about each decided step while the request is still under way (the
    # engine notifies them itself when the request finishes or needs information).
    if (
        isinstance(change.event, engine.Decide | engine.PayerDecide)
        and change.request.status not in FINAL_STATUSES
        and change.request.status != "needs_info"
    ):
        services.notify(
            kind="decided",
            recipients=[request.requester],
            approval=request,
            task=tasks.get(change.event.task_key),
        )
