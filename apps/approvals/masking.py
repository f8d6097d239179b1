"""Minimum necessary: which fields of a request a user may not see, the request's answers with
those fields hidden, and the one record of a read that showed patient data.

Every read path (request page, API, packet PDF, CSV export, FHIR ClaimResponse) takes its
answers from `visible_data` / `hidden_fields` and records the read with `record_read`, which
writes a PHI-access entry only when the reader was shown the request's PHI. Emails and webhook
payloads carry no answers at all.

A field's class (`visibility` in the spec): "phi" answers are hidden from users who see the
request only through a role in `phi_hidden_from_roles`, "sensitive" answers from those who see
it only through a role in `sensitive_hidden_from_roles`, "open" answers from nobody. With no
known viewer (an emailed link's page) every phi and sensitive answer is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from apps.accounts.models import User
from apps.approvals.grants import break_glass_open_for, department_granted_to, shared_with
from apps.approvals.models import ApprovalRequest
from apps.audit.services import audit_phi_access
from apps.workflows.engine import field_visibility

HIDDEN = "Hidden (minimum necessary)"
HIDDEN_FROM_ROLES = {"phi": "phi_hidden_from_roles", "sensitive": "sensitive_hidden_from_roles"}


# --- minimum necessary -----------------------------------------------------------------------


def _hidden_roles(approval: ApprovalRequest, visibility: str) -> set[str]:
    return set(approval.workflow_version.spec.get(HIDDEN_FROM_ROLES[visibility]) or [])


def field_class(field: Mapping[str, Any]) -> str:
    """The visibility class of one field of a stored spec: phi, sensitive or open (for parts of
    the product that may not import the engine)."""
    return field_visibility(field)


def fields_of_class(approval: ApprovalRequest, visibility: str) -> list[str]:
    """The names of the request's form fields of one visibility class."""
    fields = approval.workflow_version.spec.get("form", {}).get("fields", [])
    return [f["name"] for f in fields if field_visibility(f) == visibility]


def _hidden_steps(approval: ApprovalRequest, hidden_roles: set[str]) -> set[str]:
    """Steps whose approvers are all roles a class is hidden from."""
    steps = set()
    for stage in approval.workflow_version.spec.get("stages", []):
        for step in stage.get("steps", []):
            approvers = step.get("approvers") or []
            if approvers and all(
                a.startswith("role:") and a.removeprefix("role:") in hidden_roles for a in approvers
            ):
                steps.add(step["key"])
    return steps


def _needs_class(user: User, approval: ApprovalRequest, hidden_roles: set[str]) -> bool:
    """Is the user entitled to the request other than only through a role the class is hidden
    from?"""
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
    """The fields of `approval` the user does not need (minimum necessary). Empty for
    workflows that hide no class from any role, so ordinary pages cost no extra query. With no
    known viewer, every phi and sensitive field is hidden."""
    hidden: set[str] = set()
    for visibility in HIDDEN_FROM_ROLES:
        names = fields_of_class(approval, visibility)
        if not names:
            continue
        if user is None or not user.is_authenticated:
            hidden.update(names)
            continue
        hidden_roles = _hidden_roles(approval, visibility)
        if hidden_roles and not _needs_class(user, approval, hidden_roles):
            hidden.update(names)
    return hidden


def visible_data(
    *, user: User | None, approval: ApprovalRequest, hidden: Iterable[str] | None = None
) -> dict[str, Any]:
    """The request's answers as the user may see them: answers the user does not need are
    replaced by a marker. `hidden` is `hidden_fields` when the caller has it already."""
    hidden = set(hidden_fields(user=user, approval=approval) if hidden is None else hidden)
    return {name: (HIDDEN if name in hidden else value) for name, value in approval.data.items()}


def shows_phi(approval: ApprovalRequest, hidden: Iterable[str]) -> bool:
    """Did a read that hid `hidden` show the request's patient data? Yes unless minimum
    necessary hid its PHI fields. A workflow that marks no field phi counts as showing it:
    its comments, files and free text may still hold patient data."""
    phi = fields_of_class(approval, "phi")
    return not phi or not set(phi) <= set(hidden)


def record_read(
    *,
    actor: Any,
    approval: ApprovalRequest,
    action: str,
    hidden: Iterable[str],
    **detail: Any,
) -> bool:
    """The one record of a read of a request: a PHI-access entry (HIPAA 164.312(b)) when the
    read showed the patient's data, nothing when minimum necessary hid it. True when an entry
    was written."""
    hidden = set(hidden)
    if not shows_phi(approval, hidden):
        return False
    audit_phi_access(
        actor=actor,
        action=action,
        obj=approval,
        request_reference=approval.reference,
        phi_fields=[f for f in fields_of_class(approval, "phi") if f not in hidden],
        **detail,
    )
    return True
