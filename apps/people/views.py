"""People administration pages: roles and authority limits, departments, delegation, and the
out-of-office page every signed-in person may use for themselves."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from apps.core.errors import CountersignError
from apps.core.mixins import TenantAdminMixin
from apps.people import services
from apps.people.forms import (
    AuthorityLimitForm,
    DelegationForm,
    DepartmentEditForm,
    DepartmentForm,
    OutOfOfficeForm,
    RoleCreateForm,
    RoleDetailsForm,
    RoleMembersForm,
    add_service_errors,
)
from apps.people.models import AuthorityLimit, Delegation, Department, Role

if TYPE_CHECKING:
    from apps.accounts.models import User

# Reads of these pages. They belong in selectors.py; they live here until that module is open
# for this change. Every one is scoped to what the acting user may see.


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def roles_for_admin() -> QuerySet[Role]:
    return (
        Role.objects.annotate(member_count=Count("members", distinct=True))
        .prefetch_related(
            Prefetch("authority_limits", queryset=AuthorityLimit.objects.order_by("category"))
        )
        .order_by("name", "key")  # Meta.ordering does not survive the aggregate
    )


def departments_for_admin() -> QuerySet[Department]:
    return (
        Department.objects.select_related("head")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name", "key")
    )


def delegations_current(*, now: datetime) -> QuerySet[Delegation]:
    """Not revoked and not yet over: active ones and upcoming ones, soonest first."""
    return (
        Delegation.objects.filter(revoked_at__isnull=True, ends_at__gt=now)
        .select_related("delegator", "delegate", "created_by")
        .order_by("starts_at", "pk")
    )


def delegations_of(*, user: User, now: datetime) -> QuerySet[Delegation]:
    return delegations_current(now=now).filter(delegator=user)


# Roles and authority limits -----------------------------------------------------------------


class RoleListView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "people/role_list.html", {"roles": roles_for_admin()})


class RoleCreateView(TenantAdminMixin, View):
    template_name = "people/role_create.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": RoleCreateForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RoleCreateForm(request.POST)
        if form.is_valid():
            try:
                role = services.role_create(actor=_actor(request), **form.cleaned_data)
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Role “{role.name}” created. Now add its members.")
                return redirect("people:role-detail", pk=role.pk)
        return render(request, self.template_name, {"form": form})


class RolePageMixin(TenantAdminMixin):
    """The role page has three forms; a POST to any of them re-renders the whole page."""

    def get_role(self, pk: int) -> Role:
        return get_object_or_404(roles_for_admin(), pk=pk)

    def render_page(self, request: HttpRequest, role: Role, **forms: Any) -> HttpResponse:
        member_ids = list(role.members.values_list("pk", flat=True))
        forms.setdefault(
            "details_form",
            RoleDetailsForm(initial={"name": role.name, "description": role.description}),
        )
        forms.setdefault(
            "members_form", RoleMembersForm(initial={"members": member_ids}, current=member_ids)
        )
        forms.setdefault("limit_form", AuthorityLimitForm())
        return render(request, "people/role_detail.html", {"role": role, **forms})


class RoleDetailView(RolePageMixin, View):
    """GET: the role page. POST: change its name and description."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(request, self.get_role(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        role = self.get_role(pk)
        form = RoleDetailsForm(request.POST)
        if form.is_valid():
            try:
                services.role_update(actor=_actor(request), role=role, **form.cleaned_data)
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Role “{role.name}” saved.")
                return redirect("people:role-detail", pk=role.pk)
        return self.render_page(request, role, details_form=form)


class RoleMembersView(RolePageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        role = self.get_role(pk)
        current = list(role.members.values_list("pk", flat=True))
        form = RoleMembersForm(request.POST, current=current)
        if form.is_valid():
            members = list(form.cleaned_data["members"])
            services.role_set_members(actor=_actor(request), role=role, members=members)
            messages.success(request, f"Members of “{role.name}” saved ({len(members)}).")
            return redirect("people:role-detail", pk=role.pk)
        return self.render_page(request, role, members_form=form)


class AuthorityLimitSetView(RolePageMixin, View):
    """Adds a limit for a category, or changes the one already there."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        role = self.get_role(pk)
        form = AuthorityLimitForm(request.POST)
        if form.is_valid():
            category = form.cleaned_data["category"]
            try:
                services.authority_limit_set(
                    actor=_actor(request),
                    role=role,
                    category=category,
                    limit=form.cleaned_data["limit"],
                )
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Authority limit for {category} saved.")
                return redirect("people:role-detail", pk=role.pk)
        return self.render_page(request, role, limit_form=form)


class AuthorityLimitRemoveView(RolePageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, category: str) -> HttpResponse:
        role = self.get_role(pk)
        if services.authority_limit_remove(actor=_actor(request), role=role, category=category):
            messages.success(request, f"Authority limit for {category} removed.")
        else:
            messages.info(request, f"There was no authority limit for {category}.")
        return redirect("people:role-detail", pk=role.pk)


# Departments --------------------------------------------------------------------------------


class DepartmentListView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "people/department_list.html", {"departments": departments_for_admin()}
        )


class DepartmentCreateView(TenantAdminMixin, View):
    template_name = "people/department_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": DepartmentForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                department = services.department_create(actor=_actor(request), **form.cleaned_data)
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Department “{department.name}” created.")
                return redirect("people:departments")
        return render(request, self.template_name, {"form": form})


class DepartmentEditView(TenantAdminMixin, View):
    template_name = "people/department_form.html"

    def get_department(self, pk: int) -> Department:
        return get_object_or_404(departments_for_admin(), pk=pk)

    def current_ids(self, department: Department) -> list[int]:
        ids = list(department.members.values_list("pk", flat=True))
        return [*ids, department.head_id] if department.head_id else ids

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        department = self.get_department(pk)
        form = DepartmentEditForm(
            initial={
                "name": department.name,
                "head": department.head_id,
                "members": list(department.members.values_list("pk", flat=True)),
            },
            current=self.current_ids(department),
        )
        return render(request, self.template_name, {"form": form, "department": department})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        department = self.get_department(pk)
        form = DepartmentEditForm(request.POST, current=self.current_ids(department))
        if form.is_valid():
            try:
                services.department_update(
                    actor=_actor(request), department=department, **form.cleaned_data
                )
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Department “{department.name}” saved.")
                return redirect("people:departments")
        return render(request, self.template_name, {"form": form, "department": department})


# Delegation ---------------------------------------------------------------------------------


class DelegationListView(TenantAdminMixin, View):
    """Administrators: current and upcoming cover for everyone, and the form to add one."""

    template_name = "people/delegation_list.html"

    def render_page(self, request: HttpRequest, form: DelegationForm) -> HttpResponse:
        now = timezone.now()
        return render(
            request,
            self.template_name,
            {"form": form, "delegations": delegations_current(now=now), "now": now},
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request, DelegationForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DelegationForm(request.POST)
        if form.is_valid():
            try:
                delegation = services.delegation_create(actor=_actor(request), **form.cleaned_data)
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{delegation.delegate} now covers for {delegation.delegator} "
                    f"until {timezone.localtime(delegation.ends_at):%d %b %Y %H:%M}.",
                )
                return redirect("people:delegations")
        return self.render_page(request, form)


class DelegationRevokeView(TenantAdminMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        delegation = get_object_or_404(delegations_current(now=timezone.now()), pk=pk)
        services.delegation_revoke(actor=_actor(request), delegation=delegation)
        messages.success(request, f"Delegation {delegation} ended.")
        return redirect("people:delegations")


class OutOfOfficeView(LoginRequiredMixin, View):
    """Anyone signed in: set up or end cover for their own tasks (never someone else's)."""

    template_name = "people/out_of_office.html"

    def render_page(self, request: HttpRequest, form: OutOfOfficeForm) -> HttpResponse:
        now = timezone.now()
        me = _actor(request)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "delegations": delegations_of(user=me, now=now),
                "covering": delegations_current(now=now).filter(delegate=me),
                "now": now,
            },
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        start = timezone.now().replace(second=0, microsecond=0)
        return self.render_page(
            request, OutOfOfficeForm(initial={"starts_at": start}, exclude=_actor(request))
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        me = _actor(request)
        form = OutOfOfficeForm(request.POST, exclude=me)
        if form.is_valid():
            try:
                delegation = services.delegation_create(actor=me, delegator=me, **form.cleaned_data)
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Out of office set: {delegation.delegate} covers your new tasks until "
                    f"{timezone.localtime(delegation.ends_at):%d %b %Y %H:%M}.",
                )
                return redirect("people:out-of-office")
        return self.render_page(request, form)


class OutOfOfficeEndView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        me = _actor(request)
        delegation = get_object_or_404(delegations_of(user=me, now=timezone.now()), pk=pk)
        services.delegation_revoke(actor=me, delegation=delegation)
        messages.success(request, f"Cover by {delegation.delegate} ended.")
        return redirect("people:out-of-office")
