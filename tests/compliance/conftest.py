"""Compliance fixtures: a claims write-off whose spec hides PHI from finance approvers, the
break-glass and privacy-officer roles, and the email/worker fixtures of the notifications tests."""

import json
from pathlib import Path

import pytest

from apps.people.models import Role
from tests.api.conftest import api  # noqa: F401
from tests.notifications.fixtures import eager_celery, smtp_server  # noqa: F401

LIBRARY = Path(__file__).resolve().parents[2] / "apps" / "workflows" / "library"


@pytest.fixture
def write_off_workflow(in_tenant_a, alice, victor, frank):
    """The library's write-off, published with finance approvers marked as not needing PHI;
    victor is the revenue cycle manager, frank the finance approver."""
    from apps.workflows.services import workflow_publish

    spec = json.loads((LIBRARY / "claims-write-off.json").read_text())
    spec["phi_hidden_from_roles"] = ["finance_approver"]
    version = workflow_publish(actor=alice, spec=spec, note="minimum necessary")
    Role.objects.get(key="revenue_cycle_manager").members.add(victor)
    Role.objects.get(key="finance_approver").members.add(frank)
    return version.definition
