"""Forms of the people administration pages. They check shapes; the services check the rules."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import CountersignError, form_errors_show
from apps.people.models import Department, Role

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def people_choices(*, keep: Iterable[int] = ()) -> QuerySet[User]:
    """Active people ordered by name, plus anyone already chosen (so saving never drops them)."""
    return User.objects.filter(Q(is_active=True) | Q(pk__in=list(keep))).order_by(
        "full_name", "email"
    )


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # not subscriptable at runtime
    def label_from_instance(self, obj: User) -> str:
        suffix = "" if obj.is_active else " — deactivated"
        return f"{obj.full_name} ({obj.email}){suffix}"


class PeopleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]  # not subscriptable at runtime
    def label_from_instance(self, obj: User) -> str:
        suffix = "" if obj.is_active else " — deactivated"
        return f"{obj.full_name} ({obj.email}){suffix}"


class TenantDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in the tenant's time zone (TIME_ZONE)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT)
    input_formats = [LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(settings.TIME_ZONE):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(settings.TIME_ZONE):
            return super().prepare_value(value)


class RoleCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    key = forms.CharField(
        max_length=60,
        help_text="Workflows route to this role as role:<key>. It cannot be changed later.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RoleDetailsForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RoleMembersForm(forms.Form):
    members = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several people.",
    )

    def __init__(self, *args: Any, current: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = people_choices(keep=current)  # type: ignore[attr-defined]


class AuthorityLimitForm(forms.Form):
    category = forms.CharField(
        max_length=60, help_text="The workflow category, for example purchasing."
    )
    limit = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        help_text="The largest amount this role may approve in the category.",
        error_messages={"min_value": "An authority limit cannot be negative."},
    )


class DepartmentForm(forms.Form):
    key = forms.CharField(
        max_length=60, help_text="Workflows refer to the department by this key; it is fixed."
    )
    name = forms.CharField(max_length=200)
    head = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="No head")
    members = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several people.",
    )

    def __init__(self, *args: Any, current: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = list(current)
        self.fields["head"].queryset = people_choices(keep=current)  # type: ignore[attr-defined]
        self.fields["members"].queryset = people_choices(keep=current)  # type: ignore[attr-defined]


class DepartmentEditForm(DepartmentForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["key"]


class OutOfOfficeForm(forms.Form):
    """The signed-in person's own cover: they are the delegator."""

    delegate = PersonChoiceField(
        queryset=User.objects.none(), help_text="Who decides your new tasks while you are away."
    )
    starts_at = TenantDateTimeField(label="Starts")
    ends_at = TenantDateTimeField(label="Ends", help_text="At most 90 days after the start.")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, exclude: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = people_choices().filter(is_active=True)
        if exclude is not None:
            choices = choices.exclude(pk=exclude.pk)
        self.fields["delegate"].queryset = choices  # type: ignore[attr-defined]
        self.fields["starts_at"].help_text = f"Time zone: {settings.TIME_ZONE}."


class DelegationForm(OutOfOfficeForm):
    """An administrator's form: cover for anyone."""

    delegator = PersonChoiceField(queryset=User.objects.none(), label="Person who is away")

    field_order = ["delegator", "delegate", "starts_at", "ends_at", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegator"].queryset = people_choices().filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["delegate"].help_text = "Who decides their new tasks while they are away."


def add_service_errors(form: forms.Form, error: CountersignError) -> None:
    """Puts a service's refusal next to the fields it names (the rest on top)."""
    form_errors_show(form, error)


class PersonForm(forms.Form):
    """A person's place in the org chart (the tenant administrator's page)."""

    manager = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="No manager",
        help_text="Manager-chain steps and escalations go to this person.",
    )
    job_title = forms.CharField(max_length=200, required=False)
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
    )
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Workflow steps route to roles (role:<key>).",
    )

    def __init__(self, *args: Any, person: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = [person.manager_id] if person.manager_id else []
        choices = people_choices(keep=keep).exclude(pk=person.pk)
        self.fields["manager"].queryset = choices  # type: ignore[attr-defined]


class OrgChartImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: email, manager_email, job_title, departments, roles (keys separated "
        "by ;). Only email is required; a missing column changes nothing.",
    )
