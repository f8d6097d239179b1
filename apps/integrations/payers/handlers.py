"""The effect handler: runs inside a request's state change. Reaching a payer step writes the
submission (sent after commit); a payer task that is skipped (withdrawn, cancelled, re-routed)
stops its submission."""

from __future__ import annotations

from apps.approvals.effects import StateChange
from apps.integrations.payers.services import submission_schedule, submissions_cancel
from apps.workflows import engine


def on_state_change(change: StateChange) -> None:
    skipped: set[str] = set()
    for effect in change.effects:
        if isinstance(effect, engine.SubmitToPayer):
            submission_schedule(
                approval=change.request,
                task_key=effect.task_key,
                step_key=effect.step_key,
                payer_name=effect.payer,
            )
        elif isinstance(effect, engine.CloseTask) and effect.status == "skipped":
            skipped.add(effect.task_key)
    if skipped and change.request.engine_state:
        payer_tasks = {
            t["key"]
            for t in change.request.engine_state.get("tasks", [])
            if t.get("external") == "payer" and t["key"] in skipped
        }
        if payer_tasks:
            submissions_cancel(approval=change.request, task_keys=payer_tasks)
