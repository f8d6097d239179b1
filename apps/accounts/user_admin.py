"""Tenant user administration on the tenant host: the user list, invitations, deactivation.

Deactivating someone does not move their open tasks: the page lists them so an administrator can
act (automatic reassignment is a later piece of work)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from apps.accounts.exceptions import AccountErrorCode, InvalidInput, NotAllowed
from apps.accounts.invitations import invitation_create
from apps.accounts.models import SUPPORT_EMAIL_DOMAIN, Invitation, User
from apps.core.actions import SystemActor, action_service
from apps.core.errors import CountersignError, form_errors_show
from apps.core.mixins import TenantAdminMixin


def is_support_user(user: User) -> bool:
    return user.email.endswith(f"@{SUPPORT_EMAIL_DOMAIN}")


def tenant_users(actor: User) -> QuerySet[User]:
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can list users.", code=AccountErrorCode.ADMIN_ONLY
        )
    return (
        User.objects.exclude(email__endswith=f"@{SUPPORT_EMAIL_DOMAIN}")
        .select_related("manager")
        .order_by("full_name", "email")
    )


def open_tasks_of(user: User) -> list[object]:
    from apps.approvals.models import Task

    return list(Task.objects.filter(assignee=user, status="pending").select_related("request")[:50])


@dataclass(frozen=True)
class DeactivationResult:
    user: User
    moved: list[tuple[object, User]]  # (task, new assignee): handed to the manager
    open_tasks: list[object]  # still with the deactivated person: an admin must route them


@action_service
def invitations_end(user: User) -> None:
    """A deactivated person's open invitation links stop working (no way back in by a link)."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )


def user_deactivate(*, actor: User | SystemActor, user: User) -> DeactivationResult:
    """Also the path of a directory's SCIM client (`apps.scim`), which acts as a SystemActor
    the administrator delegated user administration to."""
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can deactivate users.", code=AccountErrorCode.ADMIN_ONLY
        )
    if user.pk == actor.pk:
        raise InvalidInput("You cannot deactivate yourself.", code=AccountErrorCode.INVALID)
    user.is_active = False
    user.save(update_fields=["is_active"])
    invitations_end(user)
    from apps.approvals.reassignment import tasks_reassign_from

    # The rule: open tasks go to the person's manager; what the manager may not take is
    # reported to the administrator (never approved, never dropped).
    report = tasks_reassign_from(actor=actor, person=user)
    return DeactivationResult(
        user=user, moved=list(report.moved), open_tasks=[task for task, _ in report.stranded]
    )


@action_service
def user_reactivate(*, actor: User, user: User) -> User:
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can reactivate users.", code=AccountErrorCode.ADMIN_ONLY
        )
    if not user.has_usable_password():
        raise InvalidInput(
            "This person has not accepted their invitation yet.", code=AccountErrorCode.INVALID
        )
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


class InviteForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=200, required=False)
    is_tenant_admin = forms.BooleanField(required=False, label="Tenant administrator")


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


class UserListView(TenantAdminMixin, View):
    def get(self, request: HttpRequest, form: InviteForm | None = None) -> HttpResponse:
        users = list(tenant_users(request.user))  # type: ignore[arg-type]
        from apps.approvals.models import Task

        pending: dict[int, int] = {}
        for assignee_id in Task.objects.filter(
            status="pending", assignee__is_active=False
        ).values_list("assignee_id", flat=True):
            pending[assignee_id] = pending.get(assignee_id, 0) + 1
        rows = [
            {
                "user": u,
                "invited": not u.is_active and not u.has_usable_password(),
                "stranded_tasks": pending.get(u.pk, 0),
            }
            for u in users
        ]
        return render(
            request,
            "accounts/users.html",
            {"rows": rows, "form": form or InviteForm()},
            status=400 if form is not None else 200,
        )


class UserInviteView(TenantAdminMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = InviteForm(request.POST)
        if not form.is_valid():
            return UserListView().get(request, form=form)
        try:
            invitation_create(
                actor=request.user,  # type: ignore[arg-type]
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                is_tenant_admin=form.cleaned_data["is_tenant_admin"],
                base_url=_base_url(request),
            )
        except InvalidInput as exc:
            form_errors_show(form, exc)
            return UserListView().get(request, form=form)
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("accounts:users")


class UserDeactivateView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(tenant_users(request.user), pk=pk)  # type: ignore[arg-type]
        try:
            result = user_deactivate(actor=request.user, user=user)  # type: ignore[arg-type]
        except CountersignError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:users")
        if result.moved:
            messages.info(
                request,
                f"{len(result.moved)} open task(s) of {user} went to their manager: "
                + ", ".join(f"{t.request} → {m.full_name}" for t, m in result.moved),  # type: ignore[attr-defined]
            )
        if result.open_tasks:
            messages.warning(
                request,
                f"{user} is deactivated but still holds {len(result.open_tasks)} open task(s): "
                + ", ".join(str(t.request) for t in result.open_tasks)  # type: ignore[attr-defined]
                + ". Their manager could not take them; route them from the request pages.",
            )
        else:
            messages.success(request, f"{user} is deactivated and cannot sign in.")
        return redirect("accounts:users")


class UserReactivateView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(tenant_users(request.user), pk=pk)  # type: ignore[arg-type]
        try:
            user_reactivate(actor=request.user, user=user)  # type: ignore[arg-type]
        except CountersignError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{user} can sign in again.")
        return redirect("accounts:users")
