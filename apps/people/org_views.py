"""Org chart pages: one person's manager, title, departments and roles; the CSV import with a
dry run before anything changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from apps.core.errors import CountersignError
from apps.core.mixins import TenantAdminMixin
from apps.people.forms import OrgChartImportForm, PersonForm, add_service_errors
from apps.people.org_chart import PersonChanges, person_update
from apps.people.org_import import org_chart_import
from apps.people.selectors import org_chart_person

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.people.org_import import ImportResult


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


class PersonView(TenantAdminMixin, View):
    template_name = "people/person.html"

    def get_person(self, pk: int) -> User:
        person = org_chart_person(pk)
        if person is None:
            raise Http404("No such person here.")
        return person

    def render_page(self, request: HttpRequest, person: User, form: PersonForm) -> HttpResponse:
        context = {"person": person, "form": form, "reports": person.reports.order_by("full_name")}
        return render(request, self.template_name, context, status=400 if form.errors else 200)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_person(pk)
        initial = {
            "manager": person.manager_id,
            "job_title": person.job_title,
            "departments": list(person.departments.values_list("pk", flat=True)),
            "roles": list(person.roles.values_list("pk", flat=True)),
        }
        return self.render_page(request, person, PersonForm(initial=initial, person=person))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_person(pk)
        form = PersonForm(request.POST, person=person)
        if form.is_valid():
            data = form.cleaned_data
            changes = PersonChanges(
                manager=data["manager"],
                clear_manager=data["manager"] is None,
                job_title=data["job_title"],
                departments=list(data["departments"]),
                roles=list(data["roles"]),
            )
            try:
                person_update(actor=_actor(request), person=person, changes=changes)
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Saved the org chart entry of {person}.")
                return redirect("people:person", pk=person.pk)
        return self.render_page(request, person, form)


class _ApplyForm(forms.Form):
    csv_text = forms.CharField(widget=forms.HiddenInput, strip=False)


class OrgChartImportView(TenantAdminMixin, View):
    """Upload shows the dry run; "Apply" re-checks the same text and applies accepted rows."""

    template_name = "people/org_import.html"

    def render_page(
        self,
        request: HttpRequest,
        form: OrgChartImportForm,
        result: ImportResult | None = None,
        csv_text: str = "",
    ) -> HttpResponse:
        context = {
            "form": form,
            "result": result,
            "apply_form": _ApplyForm(initial={"csv_text": csv_text}) if csv_text else None,
        }
        return render(request, self.template_name, context, status=400 if form.errors else 200)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request, OrgChartImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "csv_text" in request.POST:
            return self.apply(request)
        form = OrgChartImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(request, form)
        raw = form.cleaned_data["file"].read()
        try:
            result = org_chart_import(actor=_actor(request), raw=raw, dry_run=True)
        except CountersignError as error:
            add_service_errors(form, error)
            return self.render_page(request, form)
        text = raw.decode("utf-8-sig")  # org_chart_import has checked it decodes
        return self.render_page(request, form, result, csv_text=text if result.changed else "")

    def apply(self, request: HttpRequest) -> HttpResponse:
        apply_form = _ApplyForm(request.POST)
        form = OrgChartImportForm()
        if not apply_form.is_valid():
            messages.error(request, "Upload the file again: the checked rows were not received.")
            return self.render_page(request, form)
        try:
            result = org_chart_import(
                actor=_actor(request), raw=apply_form.cleaned_data["csv_text"], dry_run=False
            )
        except CountersignError as error:
            add_service_errors(form, error)
            return self.render_page(request, form)
        refused = len(result.refused)
        note = f"; {refused} row(s) refused and left unchanged" if refused else ""
        messages.success(request, f"Applied {len(result.changed)} change(s){note}.")
        return self.render_page(request, form, result)
