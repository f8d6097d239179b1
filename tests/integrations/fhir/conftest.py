"""Fixtures of the provider-side PAS tests: the fake payer on a real socket, tenant A's payer
configuration pointing at it, and a prior authorization that has passed internal review."""

import socket

import pytest

from tests.integrations.fhir.fake_payer import FakePayer
from tests.notifications.fixtures import smtp_server  # noqa: F401

TOKEN = "Bearer payer-test-credential-42"
PA_DATA = {
    "patient_name": "Jordan Example",
    "date_of_birth": "1970-04-12",
    "member_id": "XZA123456789",
    "payer": "Acme Health",
    "cpt_code": "72148",
    "secondary_cpt_code": "72158",
    "diagnosis": "M54.50",
    "ordering_provider_npi": "1234567893",
    "site_of_care": "Freestanding imaging center",
    "conservative_therapy_weeks": 8,
    "clinical_notes": "Low back pain for 10 weeks despite physical therapy and NSAIDs.",
}
PHI_VALUES = ("Jordan Example", "XZA123456789", "1970-04-12", "72148", "M54.50", "Low back")


@pytest.fixture
def fake_payer():
    payer = FakePayer(token=TOKEN).start()
    yield payer
    payer.stop()


@pytest.fixture
def payer_config(in_tenant_a, alice, fake_payer):
    from apps.integrations.payers.services import payer_save

    return payer_save(
        actor=alice,
        name="Acme Health",
        base_url=fake_payer.url,
        credential=TOKEN,
        timeout_seconds=3,
        max_attempts=3,
        inquiry_interval_minutes=30,
    )


@pytest.fixture
def closed_port_url():
    """A loopback URL where nothing listens (connection refused): the payer is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/fhir"


@pytest.fixture
def at_payer(in_tenant_a, carol, bob):
    """A prior authorization carol submitted and bob passed in internal review: it now waits
    at the payer step, with its submission queued."""
    from apps.approvals.services import DecisionInput, request_create, task_decide
    from apps.workflows.models import WorkflowDefinition

    workflow = WorkflowDefinition.objects.get(key="prior-auth-submit")
    approval = request_create(actor=carol, workflow=workflow, data=PA_DATA)
    (task,) = approval.tasks.filter(status="pending")
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    approval.refresh_from_db()
    return approval
