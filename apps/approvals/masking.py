"""Minimum necessary: which PHI fields of a request a user may not see, and the request's data
with those fields hidden."""

from __future__ import annotations

from typing import Any

from apps.accounts.models import User
from apps.approvals.grants import break_glass_open_for, department_granted_to, shared_with
from apps.approvals.models import ApprovalRequest

HIDDEN = "Hidden (minimum necessary)"


# --- minimum necessary -----------------------------------------------------------------------


def _hidden_roles(request: ApprovalRequest) -> set[str]:
    return set(request.workflow_version.spec.get("phi_hidden_from_roles") or [])


def _phi_fields(request: ApprovalRequest) -> list[str]:
    fields = request.workflow_version.spec.get("form", {}).get("fields", [])
    return [f["name"] for f in fields if f.get("phi")]


def _hidden_steps(request: ApprovalRequest, hidden_roles: set[str]) -> set[str]:
    """Steps whose approvers are all roles that do not need PHI."""
    steps = set()
    for stage in request.workflow_version.spec.get("stages", []):
        for step in stage.get("steps", []):
            approvers = step.get("approvers") or []
            if approvers and all(
                a.startswith("role:") and a.removeprefix("role:") in hidden_roles for a in approvers
            ):
                steps.add(step["key"])
    return steps


def _needs_phi(user: User, request: ApprovalRequest, hidden_roles: set[str]) -> bool:
    """Is the user entitled to the request other than only through a hidden role?"""
    if user.is_tenant_admin or request.requester_id == user.pk:
        return True
    hidden_steps = _hidden_steps(request, hidden_roles)
    role_keys = dict(user.roles.values_list("pk", "key"))
    for task in request.tasks.all():
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
        ApprovalRequest.objects.filter(pk=request.pk)
        .filter(shared_with(user) | department_granted_to(user) | break_glass_open_for(user))
        .exists()
    )


def hidden_fields(*, user: User | None, request: ApprovalRequest) -> set[str]:
    """The PHI fields of `request` the user does not need (minimum necessary). Empty for
    workflows that hide PHI from no role, so ordinary pages cost no extra query. With no
    known viewer, every PHI field is hidden."""
    if user is None or not user.is_authenticated:
        return set(_phi_fields(request))
    hidden_roles = _hidden_roles(request)
    if not hidden_roles:
        return set()
    phi = _phi_fields(request)
    if not phi or _needs_phi(user, request, hidden_roles):
        return set()
    return set(phi)


def visible_data(*, user: User | None, request: ApprovalRequest) -> dict[str, Any]:
    """The request's answers as the user may see them: PHI the user does not need is replaced
    by a marker. Used by the detail page, the packet and the API."""
    hidden = hidden_fields(user=user, request=request)
    return {name: (HIDDEN if name in hidden else value) for name, value in request.data.items()}
