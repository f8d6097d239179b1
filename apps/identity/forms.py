"""The tenant admin's single sign-on settings, with the sample claims of the preview."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from apps.accounts.models import User
from apps.identity.claims import group_roles_parse
from apps.identity.models import DEFAULT_SCOPES, Protocol
from apps.identity.partner import PARTNER_FIELDS
from apps.identity.saml import METADATA_MAX_BYTES
from apps.identity.selectors import break_glass_candidates


class IdentityProviderForm(forms.Form):
    name = forms.CharField(
        label="Name of your identity provider (shown on the button)", max_length=80
    )
    is_enabled = forms.BooleanField(
        label="Offer “Sign in with …” on the sign-in page", required=False
    )
    protocol = forms.ChoiceField(
        label="Protocol", choices=Protocol.choices, initial=Protocol.OIDC, required=False,
        widget=forms.RadioSelect,
    )  # fmt: skip
    issuer_url = forms.URLField(
        label="Issuer URL (OpenID Connect)", max_length=300, assume_scheme="https", required=False,
        help_text="For example https://login.microsoftonline.com/<tenant id>/v2.0",
    )  # fmt: skip
    client_id = forms.CharField(label="Client ID (OpenID Connect)", max_length=255, required=False)
    client_secret = forms.CharField(
        label="Client secret", required=False, max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted. Leave blank to keep the current one.",
    )  # fmt: skip
    scopes = forms.CharField(
        label="Scopes (OpenID Connect)", max_length=255, initial="openid email profile",
        required=False,
    )  # fmt: skip
    saml_idp_metadata_url = forms.URLField(
        label="IdP metadata URL (SAML)", max_length=500, assume_scheme="https", required=False,
        help_text="Read again each time you save. Or upload the metadata file below.",
    )  # fmt: skip
    saml_idp_metadata_file = forms.FileField(
        label="IdP metadata XML file (SAML)", required=False,
        help_text="Replaces the stored metadata. Leave empty to keep it.",
    )  # fmt: skip
    claim_email = forms.CharField(label="Email claim", max_length=100, initial="email")
    claim_name = forms.CharField(label="Name claim", max_length=100, initial="name")
    claim_department = forms.CharField(label="Department claim", max_length=100, required=False)
    claim_manager = forms.CharField(
        label="Manager claim (the manager's email)", max_length=100, required=False
    )
    claim_groups = forms.CharField(
        label="Groups claim", max_length=100, required=False, initial="groups"
    )
    group_roles = forms.CharField(
        label="Groups to roles (one per line: group: role_key, role_key)", required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    jit_enabled = forms.BooleanField(
        label="Create accounts just in time for people the IdP vouches for", required=False
    )
    require_sso = forms.BooleanField(
        label="Require SSO: refuse password sign-in except for the break-glass admins",
        required=False,
    )
    break_glass_admins = forms.ModelMultipleChoiceField(
        label="Break-glass admins (keep password and two-step sign-in)",
        queryset=break_glass_candidates(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    sample_claims = forms.CharField(
        label="Sample claims (JSON) for the preview", required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["break_glass_admins"].queryset = break_glass_candidates()  # type: ignore[attr-defined]

    def clean_protocol(self) -> str:
        return str(self.cleaned_data.get("protocol") or Protocol.OIDC)

    def clean_scopes(self) -> str:
        scopes = " ".join(str(self.cleaned_data.get("scopes") or "").split())
        if self.data.get("protocol") == Protocol.SAML and not scopes:
            return DEFAULT_SCOPES
        if "openid" not in scopes.split():
            raise forms.ValidationError("The scopes must include openid.")
        return scopes

    def clean_saml_idp_metadata_file(self) -> str:
        upload = self.cleaned_data.get("saml_idp_metadata_file")
        if not upload:
            return ""
        if upload.size > METADATA_MAX_BYTES:
            raise forms.ValidationError("This file is too large for SAML metadata.")
        try:
            return bytes(upload.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("This is not an XML file.") from None

    def clean_group_roles(self) -> dict[str, list[str]]:
        mapping, bad = group_roles_parse(self.cleaned_data.get("group_roles") or "")
        if bad:
            raise forms.ValidationError(
                f"Write each line as group: role_key, role_key ({', '.join(bad)})."
            )
        return mapping

    def clean_sample_claims(self) -> dict[str, Any] | None:
        text = (self.cleaned_data.get("sample_claims") or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError("This is not valid JSON.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Paste a JSON object, as an ID token's claims are.")
        return value

    def provider_values(self) -> dict[str, Any]:
        names = (
            "name", "is_enabled", "protocol", "saml_idp_metadata_url", "issuer_url", "client_id",
            "scopes", "claim_email", "claim_name", "claim_department", "claim_manager",
            "claim_groups", "group_roles", "jit_enabled", "require_sso",
        )  # fmt: skip
        values = {name: self.cleaned_data[name] for name in names}
        values["issuer_url"] = str(values["issuer_url"]).rstrip("/")
        return values


class PartnerIdentityProviderForm(forms.Form):
    """The partner admin's OpenID Connect IdP for the partner console."""

    name = forms.CharField(
        label="Name of your identity provider (shown on the sign-in page)", max_length=80
    )
    is_enabled = forms.BooleanField(label="Let partner staff sign in with it", required=False)
    issuer_url = forms.URLField(
        label="Issuer URL", max_length=300, assume_scheme="https", required=False,
        help_text="For example https://login.microsoftonline.com/<tenant id>/v2.0",
    )  # fmt: skip
    client_id = forms.CharField(label="Client ID", max_length=255, required=False)
    client_secret = forms.CharField(
        label="Client secret", required=False, max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted. Leave blank to keep the current one.",
    )  # fmt: skip
    scopes = forms.CharField(label="Scopes", max_length=255, initial=DEFAULT_SCOPES)
    claim_email = forms.CharField(label="Email claim", max_length=100, initial="email")
    claim_name = forms.CharField(label="Name claim", max_length=100, initial="name")
    require_sso = forms.BooleanField(
        label="Require SSO: refuse password sign-in to partner staff except the break-glass admins",
        required=False,
    )
    break_glass_admins = forms.ModelMultipleChoiceField(
        label="Break-glass admins (keep password and two-step sign-in)",
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args: Any, admins: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["break_glass_admins"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[admin.pk for admin in admins]
        ).order_by("full_name")

    def clean_scopes(self) -> str:
        scopes = " ".join(str(self.cleaned_data.get("scopes") or "").split())
        if "openid" not in scopes.split():
            raise forms.ValidationError("The scopes must include openid.")
        return scopes

    def provider_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in PARTNER_FIELDS}
        values["issuer_url"] = str(values["issuer_url"]).rstrip("/")
        return values
