"""The payer form of the admin page (form-level input only; the service validates)."""

from __future__ import annotations

from django import forms


class PayerForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="As the request form's payer field names it, e.g. “Acme Health”.",
    )
    base_url = forms.URLField(
        label="PAS base URL",
        max_length=300,
        assume_scheme="https",
        help_text="We POST Claim/$submit and Claim/$inquire under it.",
    )
    auth_header = forms.CharField(label="Auth header", max_length=100, initial="Authorization")
    credential = forms.CharField(
        label="Credential",
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Sent in the auth header, e.g. “Bearer …”. Stored encrypted, never shown "
        "again; leave blank to keep the stored one.",
    )
    timeout_seconds = forms.IntegerField(label="Timeout (seconds)", initial=15)
    max_attempts = forms.IntegerField(label="Attempts before giving up", initial=6)
    inquiry_interval_minutes = forms.IntegerField(
        label="Follow up pended requests every (minutes)", initial=60
    )
