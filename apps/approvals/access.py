"""Who may see what of a request beyond its involvement: explicit shares, department grants,
break-glass access, and minimum-necessary hiding of PHI fields.

Department grants: members of the role ``department_viewer_<department key>`` may see every
request of that department. Shares: django-guardian's ``view_approvalrequest`` object permission
given to a user (`request_share`). Both are read by `requests_visible_to` with `Exists`
subqueries, so they apply to every selector.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from apps.accounts.models import User
from apps.approvals.exceptions import InvalidInput, NotAllowed
from apps.approvals.models import ApprovalRequest, BreakGlassGrant
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import action_service
from apps.people.models import Department, Role

SHARE_PERMISSION = "view_approvalrequest"
DEPARTMENT_VIEWER_PREFIX = "department_viewer_"
BREAK_GLASS_ROLE = "break_glass"
PRIVACY_OFFICER_ROLE = "privacy_officer"
BREAK_GLASS_MINUTES = 60
HIDDEN = "Hidden (minimum necessary)"


# --- grants read by the permission filter ----------------------------------------------------


def shared_with(user: User) -> Q:
    """Requests shared with the user through a guardian object permission."""
    shares = UserObjectPermission.objects.filter(
        user=user,
        permission__codename=SHARE_PERMISSION,
        content_type__app_label="approvals",
        content_type__model="approvalrequest",
        object_pk=Cast(OuterRef("pk"), output_field=CharField()),
    )
    return Q(Exists(shares))


def department_granted_to(user: User) -> Q:
    """Requests of a department whose viewer role the user holds."""
    granted_keys = (
        Role.objects.filter(members=user, key__startswith=DEPARTMENT_VIEWER_PREFIX)
        .annotate(department_key=Substr("key", len(DEPARTMENT_VIEWER_PREFIX) + 1))
        .values("department_key")
    )
    departments = Department.objects.filter(pk=OuterRef("department_id"), key__in=granted_keys)
    return Q(Exists(departments))


def break_glass_open_for(user: User) -> Q:
    """Requests the user broke the glass on, while that access lasts."""
    grants = BreakGlassGrant.objects.filter(
        request=OuterRef("pk"), user=user, expires_at__gt=timezone.now()
    )
    return Q(Exists(grants))


def has_role(user: User, key: str) -> bool:
    return user.is_authenticated and user.roles.filter(key=key).exists()


def active_break_glass(user: User, request: ApprovalRequest) -> BreakGlassGrant | None:
    return (
        BreakGlassGrant.objects.filter(request=request, user=user, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


# --- services --------------------------------------------------------------------------------


def _share_permission() -> Permission:
    """The guardian permission a share grants. Looked up by natural key in the current schema
    (a tenant cloned from the template may lack the row, so it is made on first use)."""
    content_type, _ = ContentType.objects.get_or_create(
        app_label="approvals", model="approvalrequest"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=SHARE_PERMISSION,
        defaults={"name": "Can view approval request"},
    )
    return permission


@action_service
def request_share(*, actor: User, request: ApprovalRequest, user: User) -> None:
    """Let `user` see `request`. Only its requester and tenant admins may share it."""
    if not (actor.is_tenant_admin or request.requester_id == actor.pk):
        raise NotAllowed("Only the requester or a tenant admin may share this request.")
    if not user.is_active:
        raise InvalidInput("Choose an active colleague to share with.")
    assign_perm(_share_permission(), user, request)
    audit_append(
        category=AuditCategory.CHANGE,
        action="request.share",
        obj=request,
        request_reference=request.reference,
        actor_id=actor.pk,
        actor_email=actor.email,
        detail={"shared_with": user.pk, "shared_with_email": user.email},
    )


@action_service
def break_glass_open(*, actor: User, request: ApprovalRequest, reason: str) -> BreakGlassGrant:
    """Emergency access for a member of the break-glass role: time-boxed, audited, and the
    tenant's privacy officers are told and get a review to do."""
    from apps.notifications.services import notify

    reason = reason.strip()
    if not has_role(actor, BREAK_GLASS_ROLE):
        raise NotAllowed("Only members of the break-glass role may open a request this way.")
    if len(reason) < 10:
        raise InvalidInput(
            "Say why you need this request (at least 10 characters).",
            fields={"reason": ["Give the reason for emergency access."]},
        )
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        request=request,
        user=actor,
        reason=reason[:2000],
        opened_at=now,
        expires_at=now + timedelta(minutes=BREAK_GLASS_MINUTES),
    )
    audit_append(
        category=AuditCategory.PHI_ACCESS,
        action="break_glass.open",
        obj=request,
        request_reference=request.reference,
        actor_id=actor.pk,
        actor_email=actor.email,
        detail={
            "grant": grant.pk,
            "reason": grant.reason,
            "expires_at": grant.expires_at.isoformat(),
        },
    )
    officers = User.objects.filter(roles__key=PRIVACY_OFFICER_ROLE, is_active=True).distinct()
    notify(kind="break_glass", recipients=list(officers), request=request, mandatory=True)
    return grant


@action_service
def break_glass_review(*, actor: User, grant: BreakGlassGrant) -> BreakGlassGrant:
    """A privacy officer marks an emergency access as reviewed."""
    if not has_role(actor, PRIVACY_OFFICER_ROLE):
        raise NotAllowed("Only privacy officers review break-glass access.")
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.reviewed_at is not None:
        return grant
    grant.reviewed_at = timezone.now()
    grant.reviewed_by = actor
    grant.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_append(
        category=AuditCategory.SECURITY,
        action="break_glass.review",
        obj=grant.request,
        request_reference=grant.request.reference,
        actor_id=actor.pk,
        actor_email=actor.email,
        detail={"grant": grant.pk, "user": grant.user_id},
    )
    return grant


def break_glass_unreviewed() -> list[BreakGlassGrant]:
    return list(
        BreakGlassGrant.objects.filter(reviewed_at__isnull=True)
        .select_related("request", "user")
        .order_by("opened_at")
    )


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
