"""Forms of the notifications pages (input checking only; services hold the rules)."""

from django import forms

from apps.notifications.models import NotificationSettings
from apps.workflows.models import WorkflowDefinition


class NotificationSettingsForm(forms.Form):
    link_expiry_hours = forms.IntegerField(
        min_value=1,
        max_value=720,
        label="Emailed links expire after (hours)",
        help_text="Between 1 and 720 hours. The default is 72.",
    )
    signin_above_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label="Require sign-in for emailed decisions above this amount",
        help_text="Leave empty to allow emailed decisions at any amount.",
    )
    signin_workflows = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Require sign-in for emailed decisions on these workflows",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["signin_workflows"].choices = [  # type: ignore[attr-defined]
            (w.key, w.name) for w in WorkflowDefinition.objects.only("key", "name")
        ]

    @classmethod
    def initial_from(cls, current: NotificationSettings) -> "NotificationSettingsForm":
        return cls(
            initial={
                "link_expiry_hours": current.link_expiry_hours,
                "signin_above_amount": current.signin_above_amount,
                "signin_workflows": current.signin_workflows,
            }
        )
