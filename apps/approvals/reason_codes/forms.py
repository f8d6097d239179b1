"""Reason code forms for the administration pages."""

from __future__ import annotations

from django import forms


class ReasonCodeForm(forms.Form):
    code = forms.CharField(
        max_length=60,
        help_text="For example NO_BUDGET. Fixed once created; exports and integrations use it.",
    )
    label = forms.CharField(max_length=200, help_text="What deciders see, for example No budget.")

    def clean_code(self) -> str:
        # Lowercase typing is accepted and capitalised; everything else is the service's call.
        return str(self.cleaned_data["code"]).strip().upper()


class ReasonCodeLabelForm(forms.Form):
    label = forms.CharField(max_length=200)
