"""Forms of the workflow designer: they parse what the pages post into plain values that the
pure helpers in `apps.workflows.designer` apply to the draft spec."""

import json
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator

from apps.workflows.designer import (
    FIELD_TYPES,
    NUMERIC_TYPES,
    OPS,
    URGENCIES,
    VISIBILITIES,
    ConditionRow,
    condition_from_rows,
)

PREFIX_VALIDATOR = RegexValidator(r"^[A-Z]{2,5}$", "Use 2 to 5 capital letters, e.g. CAP.")
FIELD_NAME_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]*$", "Start with a lowercase letter; then letters, digits or _."
)
KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", "Lowercase letters and digits, separated by - or _."
)
VISIBILITY_LABELS = {
    "open": "Open: everyone who may see the request",
    "sensitive": "Sensitive: hidden from the roles listed for sensitive data",
    "phi": "Patient data (PHI): hidden from the roles listed for PHI",
}
CONDITION_ROWS = 4  # rows the condition builder offers (filled ones plus blanks)
IMPORT_LIMIT = 512 * 1024


def _choices(values: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class NewWorkflowForm(forms.Form):
    name = forms.CharField(max_length=200)
    key = forms.CharField(
        max_length=80, validators=[KEY_VALIDATOR], help_text="e.g. travel-request"
    )
    category = forms.CharField(
        max_length=60, validators=[KEY_VALIDATOR], help_text="Authority limits are per category."
    )
    reference_prefix = forms.CharField(max_length=5, validators=[PREFIX_VALIDATOR])


class InstallTemplateForm(forms.Form):
    template_key = forms.CharField(max_length=120)


class BasicsForm(forms.Form):
    name = forms.CharField(max_length=200)
    category = forms.CharField(max_length=60, validators=[KEY_VALIDATOR])
    reference_prefix = forms.CharField(max_length=5, validators=[PREFIX_VALIDATOR])
    amount_field = forms.CharField(max_length=80, required=False)


class FieldForm(forms.Form):
    name = forms.CharField(max_length=80, validators=[FIELD_NAME_VALIDATOR])
    label = forms.CharField(max_length=200)
    type = forms.ChoiceField(choices=_choices(FIELD_TYPES))
    required = forms.BooleanField(required=False)
    visibility = forms.ChoiceField(
        choices=[(v, VISIBILITY_LABELS[v]) for v in VISIBILITIES],
        required=False,
        error_messages={
            "invalid_choice": "“%(value)s” is not a visibility; choose phi, sensitive or open."
        },
    )
    help = forms.CharField(max_length=500, required=False)
    choices = forms.CharField(required=False, help_text="One per line or comma-separated.")
    min = forms.CharField(max_length=40, required=False)
    max = forms.CharField(max_length=40, required=False)
    pattern = forms.CharField(max_length=300, required=False)
    max_length = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if data.get("type") in NUMERIC_TYPES:
            for bound in ("min", "max"):
                if data.get(bound):
                    try:
                        Decimal(data[bound])
                    except ArithmeticError:
                        self.add_error(bound, "Enter a number.")
        return data


class MinimumNecessaryForm(forms.Form):
    """Which roles may not see the form's PHI fields, and which may not see its sensitive
    fields (the tenant's roles)."""

    phi_hidden_from_roles = forms.MultipleChoiceField(required=False, choices=())
    sensitive_hidden_from_roles = forms.MultipleChoiceField(required=False, choices=())

    def __init__(self, *args: Any, roles: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(roles.items(), key=lambda item: item[1].lower())
        for name in ("phi_hidden_from_roles", "sensitive_hidden_from_roles"):
            field = cast(forms.MultipleChoiceField, self.fields[name])
            field.choices = choices
            field.error_messages["invalid_choice"] = (
                "“%(value)s” is not one of this tenant's roles."
            )


class StageForm(forms.Form):
    name = forms.CharField(max_length=200)
    key = forms.CharField(max_length=80, validators=[KEY_VALIDATOR], required=False)


class StepForm(forms.Form):
    """One step: approvers, quorum, rejection, authority, assignment, `when` rows and SLAs."""

    name = forms.CharField(max_length=200)
    key = forms.CharField(max_length=80, validators=[KEY_VALIDATOR])
    approvers = forms.MultipleChoiceField(required=False, choices=())
    quorum = forms.ChoiceField(choices=[("any", "any"), ("all", "all"), ("number", "number")])
    quorum_n = forms.IntegerField(min_value=1, required=False)
    on_reject = forms.ChoiceField(
        choices=[("deny", "Deny the request"), ("return_to_requester", "Return to requester")]
    )
    authority = forms.BooleanField(required=False)
    assignment = forms.ChoiceField(choices=[("each", "each"), ("queue", "queue")])
    combinator = forms.ChoiceField(choices=[("all", "all"), ("any", "any")], required=False)
    keep_when = forms.BooleanField(required=False)
    sla_standard = forms.DecimalField(min_value=Decimal("0.01"), required=False)
    sla_expedited = forms.DecimalField(min_value=Decimal("0.01"), required=False)
    sla_calendar = forms.ChoiceField(
        choices=[("calendar", "calendar"), ("business", "business")], required=False
    )

    def __init__(
        self,
        *args: Any,
        approver_values: list[str],
        condition_fields: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.condition_fields = condition_fields
        cast(forms.ChoiceField, self.fields["approvers"]).choices = _choices(approver_values)
        for i in range(CONDITION_ROWS):
            self.fields[f"when_field_{i}"] = forms.ChoiceField(
                required=False, choices=[("", "—"), *_choices(list(condition_fields))]
            )
            self.fields[f"when_op_{i}"] = forms.ChoiceField(required=False, choices=_choices(OPS))
            self.fields[f"when_value_{i}"] = forms.CharField(required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if data.get("quorum") == "number" and not data.get("quorum_n"):
            self.add_error("quorum_n", "Say how many approvals are needed.")
        return data

    def step_values(self) -> dict[str, Any]:
        """The keyword values for `designer.set_step`."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "key": data["key"],
            "approvers": data["approvers"],
            "quorum": data["quorum_n"] if data["quorum"] == "number" else data["quorum"],
            "on_reject": data["on_reject"],
            "authority": data["authority"],
            "assignment": data["assignment"],
            "sla_hours": {u: _hours(data.get(f"sla_{u}")) for u in URGENCIES},
            "sla_calendar": data.get("sla_calendar") or None,
        }
        if not data.get("keep_when"):
            rows = [
                ConditionRow(
                    data.get(f"when_field_{i}") or "",
                    data.get(f"when_op_{i}") or "==",
                    data.get(f"when_value_{i}") or "",
                )
                for i in range(CONDITION_ROWS)
            ]
            values["when"] = condition_from_rows(
                rows, data.get("combinator") or "all", self.condition_fields
            )
        return values


def _hours(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class PublishForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="A .json file exported from a designer.")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 10}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        upload, text = data.get("file"), data.get("text") or ""
        if upload is not None:
            if upload.size > IMPORT_LIMIT:
                raise forms.ValidationError("The file is larger than 512 KB.")
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        if not text.strip():
            raise forms.ValidationError("Choose a .json file or paste the JSON.")
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}."
            ) from None
        if not isinstance(spec, dict):
            raise forms.ValidationError("The JSON must be one object (a workflow spec).")
        data["spec"] = spec
        return data


class PreviewForm(forms.Form):
    """Sample values for a route preview: who asks, urgency, department and the form's fields."""

    requester = forms.ChoiceField(choices=())
    urgency = forms.ChoiceField(choices=_choices(URGENCIES))
    department = forms.ChoiceField(required=False, choices=())

    def __init__(
        self,
        *args: Any,
        spec: dict[str, Any],
        users: dict[str, str],
        departments: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["requester"]).choices = [
            (e, f"{n} <{e}>") for e, n in sorted(users.items())
        ]
        cast(forms.ChoiceField, self.fields["department"]).choices = [
            ("", "—"),
            *[(k, n) for k, n in sorted(departments.items())],
        ]
        self.sample_names: list[str] = []
        for item in spec.get("form", {}).get("fields", []):
            name = item.get("name")
            if not isinstance(name, str) or not name:
                continue
            self.fields[f"f_{name}"] = _sample_field(item, users, departments)
            self.sample_names.append(name)

    def sample_data(self) -> dict[str, object]:
        data: dict[str, object] = {}
        for name in self.sample_names:
            value = self.cleaned_data.get(f"f_{name}")
            if value not in (None, "", []):
                data[name] = value
        return data

    def sample_fields(self) -> list[forms.BoundField]:
        return [self[f"f_{name}"] for name in self.sample_names]


def _sample_field(
    item: dict[str, Any], users: dict[str, str], departments: dict[str, str]
) -> forms.Field:
    label = item.get("label") or item["name"]
    type_ = item.get("type")
    options = {"label": label, "required": False, "help_text": item.get("help", "")}
    choices = [c for c in item.get("choices") or [] if isinstance(c, str)]
    if type_ == "choice":
        return forms.ChoiceField(choices=[("", "—"), *_choices(choices)], **options)
    if type_ == "multi_choice":
        return forms.MultipleChoiceField(
            choices=_choices(choices), widget=forms.CheckboxSelectMultiple, **options
        )
    if type_ == "user":
        return forms.ChoiceField(
            choices=[("", "—"), *[(e, f"{n} <{e}>") for e, n in sorted(users.items())]], **options
        )
    if type_ == "department" and departments:
        return forms.ChoiceField(choices=[("", "—"), *sorted(departments.items())], **options)
    widget: forms.Widget = forms.TextInput()
    if type_ == "long_text":
        widget = forms.Textarea(attrs={"rows": 2})
    elif type_ in NUMERIC_TYPES:
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
    elif type_ == "date":
        widget = forms.DateInput(attrs={"type": "date"})
    return forms.CharField(widget=widget, **options)
