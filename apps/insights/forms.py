"""Dashboard filters (GET)."""

from typing import Any, cast

from django import forms

from apps.approvals.choices import Urgency
from apps.insights.selectors import Filters
from apps.people.models import Department
from apps.workflows.models import WorkflowDefinition


class FilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    workflow = forms.ChoiceField(required=False)
    department = forms.ChoiceField(required=False)
    urgency = forms.ChoiceField(required=False, choices=[("", "Any"), *Urgency.choices])

    def __init__(
        self, *args: Any, departments: tuple[int, ...] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        workflows = WorkflowDefinition.objects.values_list("key", "name")
        cast(forms.ChoiceField, self.fields["workflow"]).choices = [("", "Any"), *workflows]
        depts = Department.objects.all()
        if departments is not None:
            depts = depts.filter(pk__in=departments)
        cast(forms.ChoiceField, self.fields["department"]).choices = [
            ("", "Any"),
            *list(depts.values_list("key", "name")),
        ]

    def filters(self, departments: tuple[int, ...] | None = None) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        return Filters(
            start=data.get("start"),
            end=data.get("end"),
            workflow=data.get("workflow") or "",
            department=data.get("department") or "",
            urgency=data.get("urgency") or "",
            departments=departments,
        )
