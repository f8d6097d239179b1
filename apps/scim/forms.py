"""The forms of the SCIM settings page."""

from django import forms

from apps.people.models import Role
from apps.scim.services import ALL_SCOPES


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="The directory that will use it, e.g. Entra ID."
    )
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in ALL_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=list(ALL_SCOPES),
        help_text="users: create, update and deactivate people; groups: push groups (roles).",
    )


class GroupMappingForm(forms.Form):
    group_name = forms.CharField(
        max_length=200,
        label="Directory group",
        help_text="Its displayName, as the directory sends it.",
    )
    role = forms.ModelChoiceField(queryset=Role.objects.order_by("name"))
