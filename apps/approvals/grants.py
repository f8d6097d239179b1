"""Who may see a request beyond its involvement: explicit shares, department grants and open
break-glass access, as `Q` filters read by `requests_visible_to` with `Exists` subqueries, so they
apply to every selector.

Department grants: members of the role ``department_viewer_<department key>`` may see every
request of that department. Shares: django-guardian's ``view_approvalrequest`` object permission
given to a user (`apps.approvals.sharing.request_share`).
"""

from __future__ import annotations

from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from guardian.models import UserObjectPermission

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, BreakGlassGrant
from apps.people.models import Department, Role

SHARE_PERMISSION = "view_approvalrequest"
DEPARTMENT_VIEWER_PREFIX = "department_viewer_"
BREAK_GLASS_ROLE = "break_glass"
PRIVACY_OFFICER_ROLE = "privacy_officer"
BREAK_GLASS_MINUTES = 60


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


def active_break_glass(user: User, approval: ApprovalRequest) -> BreakGlassGrant | None:
    return (
        BreakGlassGrant.objects.filter(request=approval, user=user, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
