"""Minimum necessary: which PHI fields of a request a user may not see, and the request's data
with those fields hidden."""

from __future__ import annotations

from typing import Any

from apps.accounts.models import User
from apps.approvals.grants import break_glass_open_for, department_granted_to, shared_with
from apps.approvals.models import ApprovalRequest

HIDDEN = "Hidden (minimum necessary)"


# --- minimum necessary -----------------------------------------------------------------------


def _hidden_roles(approval: ApprovalRequest) -> set[str]:
    return set(approval.workflow_version.spec.get("phi_hidden_from_roles") or [])


def _phi_fields(approval: ApprovalRequest) -> list[str]:
    fields = approval.workflow_version.spec.get("form", {}).get("fields", [])
    return [f["name"] for f in fields if f.get("phi")]


def _hidden_steps(approval: ApprovalRequest, hidden_roles: set[str]) -> set[str]:
    """Steps whose approvers are all roles that do not need PHI."""
    steps = set()
    for stage in approval.workflow_version.spec.get("stages", []):
        for step in stage.get("steps", []):
            approvers = step.get("approvers") or []
            if approvers and all(
                a.startswith("role:") and a.removeprefix("role:") in hidden_roles for a in approvers
            ):
                steps.add(step["key"])
    return steps


def _needs_phi(user: User, approval: ApprovalRequest, hidden_roles: set[str]) -> bool:
    """Is the user entitled to the request other than only through a hidden role?"""
    if user.is_tenant_admin or approval.requester_id == user.pk:
        return True
    hidden_steps = _hidden_steps(approval, hidden_roles)
    role_keys = dict(user.roles.values_list("pk", "key"))
    for task in approval.tasks.all():
        involved = (
            task.assignee_id == user.pk
            or task.on_behalf_of_id == user.pk
            or task.queue_role_id in role_keys
        )
        through_hidden = task.step_key in hidden_steps or (
            task.queue_role_id is not None and role_keys.get(task.queue_role_id) in hidden_roles
        )
        if involved and not through_hidden:
            return True
    return (
        ApprovalRequest.objects.filter(pk=approval.pk)
        .filter(shared_with(user) | department_granted_to(user) | break_glass_open_for(user))
        .exists()
    )


def hidden_fields(*, user: User | None, approval: ApprovalRequest) -> set[str]:
    """The PHI fields of `request` the user does not need (minimum necessary). Empty for
    workflows that hide PHI from no role, so ordinary pages cost no extra query. With no
    known viewer, every PHI field is hidden."""
    if user is None or not user.is_authenticated:
        return set(_phi_fields(approval))
    hidden_roles = _hidden_roles(approval)
    if not hidden_roles:
        return set()
    phi = _phi_fields(approval)
    if not phi or _needs_phi(user, approval, hidden_roles):
        return set()
    return set(phi)


def visible_data(*, user: User | None, approval: ApprovalRequest) -> dict[str, Any]:
    """The request's answers as the user may see them: PHI the user does not need is replaced
    by a marker. Used by the detail page, the packet and the API."""
    hidden = hidden_fields(user=user, approval=approval)
    return {name: (HIDDEN if name in hidden else value) for name, value in approval.data.items()}
