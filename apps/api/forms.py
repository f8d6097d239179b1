"""The form of the API keys admin page."""

from django import forms

from apps.accounts.models import User
from apps.api.choices import Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The system that will use it, e.g. ERP sync.")
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("full_name"),
        help_text="The key acts as this person (or service account) with their rights.",
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
