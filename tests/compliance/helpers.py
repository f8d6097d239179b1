"""Shortcuts for compliance tests."""

from apps.approvals.services import DecisionInput, request_create, task_claim, task_decide
from apps.people.models import Role
from tests.approvals.helpers import pending


def write_off_at_finance(workflow, carol, victor):
    """A write-off past revenue-cycle review, waiting for the finance approver."""
    request = request_create(actor=carol, workflow=workflow, data=dict(WRITE_OFF_DATA))
    (task,) = pending(request)
    task = task_claim(actor=victor, task=task)
    task_decide(actor=victor, task=task, decision=DecisionInput("approve"))
    request.refresh_from_db()
    return request


WRITE_OFF_PHI = {
    "patient_account_number": "ACCT-PHI-778812",
    "claim_number": "CLM-PHI-55120",
    "date_of_service": "2026-03-14",
    "primary_diagnosis": "M54.50",
    "secondary_diagnosis": "E11.9",
    "notes": "NOTES-PHI-denied after second appeal",
}
WRITE_OFF_DATA = {
    **WRITE_OFF_PHI,
    "payer": "Blue Valley Health Plan",
    "amount": "6400.00",
    "reason": "Timely filing limit exceeded",
}


def role(key: str, *members) -> Role:
    found, _ = Role.objects.get_or_create(key=key, defaults={"name": key.replace("_", " ")})
    found.members.add(*members)
    return found
