"""The effect handler: runs inside a request's state change and writes ERP postings.

- a task created for a finance step (a CFO/finance approver or a step named so) of a request
  whose data has what the budget-check mapping needs -> a budget check before that approver acts;
- "request.approved" on a workflow of category "capital" -> a purchase requisition.
"""

from __future__ import annotations

from apps.approvals.effects import StateChange
from apps.integrations.erp.choices import PostingKind
from apps.integrations.erp.mapping import has_sources
from apps.integrations.erp.services import active_connection, posting_schedule
from apps.workflows import engine

FINANCE_ROLES = {"role:cfo", "role:finance", "role:finance_approver", "role:controller"}
FINANCE_WORDS = ("finance", "cfo", "budget")


def is_finance_step(step: engine.StepSpec) -> bool:
    if FINANCE_ROLES & set(step.approvers):
        return True
    return any(word in step.key.lower() for word in FINANCE_WORDS)


def on_state_change(change: StateChange) -> None:
    wants_budget = False
    wants_requisition = False
    for effect in change.effects:
        if isinstance(effect, engine.CreateTask):
            try:
                _, step = change.spec.step(effect.step_key)
            except KeyError:
                continue
            wants_budget = wants_budget or is_finance_step(step)
        elif (
            isinstance(effect, engine.EmitEvent)
            and effect.type == "request.approved"
            and change.spec.category == "capital"
        ):
            wants_requisition = True
    if not (wants_budget or wants_requisition):
        return
    erp = active_connection()
    if erp is None:
        return
    request = change.request
    if wants_budget and has_sources(request, erp.mapping_for(PostingKind.BUDGET_CHECK)):
        posting_schedule(approval=request, kind=PostingKind.BUDGET_CHECK, erp=erp)
    if wants_requisition:
        posting_schedule(approval=request, kind=PostingKind.REQUISITION, erp=erp)
