"""Building blocks for SLA tests: prior-authorization requests and firing due timers."""

from datetime import datetime

from django.db import connection

from apps.approvals.services import request_create
from apps.timers.models import Timer
from apps.timers.services import timer_fire, timers_claim_due
from apps.workflows.models import WorkflowDefinition

PRIOR_AUTH = {
    "patient_name": "Jordan Example",
    "date_of_birth": "1970-04-12",
    "member_id": "XZA123456789",
    "payer": "Blue Valley Health Plan",
    "cpt_code": "72148",
    "diagnosis": "M54.50",
    "ordering_provider_npi": "1234567893",
    "site_of_care": "Freestanding imaging center",
    "conservative_therapy_weeks": 8,
    "clinical_notes": "Low back pain for 10 weeks despite physical therapy and NSAIDs.",
}


def submit_prior_auth(requester, urgency="standard"):
    workflow = WorkflowDefinition.objects.get(key="prior-auth-imaging")
    return request_create(actor=requester, workflow=workflow, data=PRIOR_AUTH, urgency=urgency)


def fire_due(now: datetime) -> list[Timer]:
    """What the beat sweep and the workers do, in-process: claim due timers, fire this tenant's."""
    fired = []
    for timer in timers_claim_due(now=now):
        if timer.schema_name == connection.schema_name and timer_fire(timer_id=timer.pk, now=now):
            fired.append(timer)
    return fired


def timers_of(clock):
    return Timer.objects.filter(
        schema_name=connection.schema_name, object_kind="sla_clock", object_id=clock.pk
    )
