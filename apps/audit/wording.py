"""Audit action codes in words for the audit page ("approvals.task.update" → "Task changed").

The stored code stays as it is (exports and filters use it); only the page shows the words.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps as django_apps

ACTION_WORDS = {
    "login": "Signed in",
    "login_failed": "Sign-in failed",
    "login_locked_out": "Sign-in locked out",
    "logout": "Signed out",
    "mfa.enrolled": "Two-step sign-in turned on",
    "mfa.removed": "Two-step sign-in turned off",
    "mfa.recovery_code_used": "Recovery code used",
    "mfa.recovery_codes_regenerated": "New recovery codes made",
    "security_policy.update": "Security settings changed",
    "organisation.time_zone": "Organisation time zone changed",
    "user.time_zone": "Personal time zone changed",
    "request.view": "Request viewed",
    "request.share": "Request shared",
    "api.request.view": "Request read through the API",
    "attachment.download": "Attachment downloaded",
    "api.attachment.download": "Attachment downloaded through the API",
    "packet.download": "Approval packet downloaded",
    "break_glass.open": "Break-glass access opened",
    "break_glass.review": "Break-glass access reviewed",
    "support.session_start": "Partner support session started",
    "audit.purge_started": "Audit purge started",
    "audit.export_csv": "Audit trail exported (CSV)",
    "audit.export_pdf": "Audit trail exported (PDF)",
    "fhir.claim_response.view": "Payer response read",
}
VERBS = {"create": "created", "update": "changed", "delete": "deleted", "access": "opened"}


@cache
def action_words(code: str) -> str:
    """The action as people say it; a code nobody named is shown tidied up, never hidden."""
    if code in ACTION_WORDS:
        return ACTION_WORDS[code]
    parts = code.split(".")
    if len(parts) == 3 and parts[2] in VERBS:
        try:
            model = django_apps.get_model(parts[0], parts[1])
        except LookupError:
            pass
        else:
            name = str(model._meta.verbose_name)
            return f"{name[:1].upper()}{name[1:]} {VERBS[parts[2]]}"
    text = code.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
