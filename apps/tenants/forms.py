"""Forms of the partner console."""

from typing import cast

from django import forms

from apps.core.text import header_safe
from apps.tenants.models import hex_colour
from apps.tenants.support import DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES


class ColourInput(forms.TextInput):
    input_type = "color"


def _colour(label: str, initial: str) -> forms.CharField:
    return forms.CharField(
        label=label, initial=initial, max_length=7, validators=[hex_colour], widget=ColourInput
    )


class BrandingForm(forms.Form):
    display_name = forms.CharField(max_length=200, label="Display name", validators=[header_safe])
    primary_colour = _colour("Primary colour (top bar)", "#1d4ed8")
    accent_colour = _colour("Accent colour (buttons)", "#0f766e")
    email_sender_name = forms.CharField(
        max_length=100, required=False, label="Email sender name", validators=[header_safe]
    )
    email_reply_to = forms.EmailField(
        required=False, label="Email reply-to", validators=[header_safe]
    )
    support_email = forms.EmailField(required=False, label="Support email")
    support_phone = forms.CharField(max_length=40, required=False, label="Support phone")
    login_message = forms.CharField(
        max_length=500, required=False, label="Sign-in page message", widget=forms.Textarea(
            attrs={"rows": 2}
        )
    )  # fmt: skip
    logo = forms.FileField(required=False, label="Logo (PNG, JPEG, WebP or SVG; 512 KB max)")
    favicon = forms.FileField(required=False, label="Favicon (PNG, SVG or ICO; 64 KB max)")


class TenantWizardForm(BrandingForm):
    name = forms.CharField(max_length=200, label="Organisation name")
    slug = forms.CharField(
        max_length=40, label="Address", help_text="Lowercase letters, digits and hyphens."
    )
    admin_email = forms.EmailField(label="First administrator's email")
    admin_name = forms.CharField(max_length=200, required=False, label="Their name")
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label="Time zone",
        help_text="Times on its pages, emails and PDFs, e.g. America/Chicago.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    templates = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Template packs to install"
    )

    field_order = ["name", "slug", "display_name"]

    def __init__(self, *args: object, template_choices: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["templates"]).choices = template_choices
        self.fields["display_name"].required = False


class DomainForm(forms.Form):
    domain = forms.CharField(max_length=253, label="Custom domain")


class SenderDomainForm(forms.Form):
    sender_domain = forms.CharField(
        max_length=253,
        required=False,
        label="Sender domain",
        help_text="Email comes from no-reply@ this domain once it is verified. Empty: ours.",
    )


class SupportGrantForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    duration_minutes = forms.IntegerField(
        initial=DEFAULT_MINUTES, min_value=MIN_MINUTES, max_value=MAX_MINUTES, label="Minutes"
    )


class PartnerDefaultsForm(forms.Form):
    default_primary_colour = _colour("Default primary colour", "#1d4ed8")
    default_accent_colour = _colour("Default accent colour", "#0f766e")
    default_email_sender_name = forms.CharField(
        max_length=100, required=False, validators=[header_safe]
    )
    default_support_email = forms.EmailField(required=False)
    show_powered_by = forms.BooleanField(required=False, label="Show a 'powered by' line")
    powered_by_text = forms.CharField(max_length=120, required=False)
    show_in_emails = forms.BooleanField(
        required=False,
        label="Name us in tenants' email footers",
        help_text="Off: emails say only “Sent by <tenant>.”",
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)


class StatusForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)
