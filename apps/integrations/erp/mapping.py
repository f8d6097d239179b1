"""Field mapping: builds an ERP payload from a request with a JSON map of
`{"erpField": "<source>"}`, where a source is `reference`, `amount`, `urgency`, `workflow`,
`data.<form field>` or `const:<text>`. PHI-flagged form fields can never be mapped."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.approvals.models import ApprovalRequest
from apps.integrations.erp.base import PermanentError
from apps.workflows import engine

SIMPLE_SOURCES = ("reference", "amount", "urgency", "workflow")


def mapping_problems(mapping: dict[str, str], spec: engine.WorkflowSpec | None = None) -> list[str]:
    """What is wrong with a mapping (empty when it is usable)."""
    problems = []
    for target, source in mapping.items():
        if not isinstance(target, str) or not isinstance(source, str):
            problems.append("Each mapping entry is a text field name and a text source.")
            continue
        if source in SIMPLE_SOURCES or source.startswith("const:"):
            continue
        if not source.startswith("data."):
            problems.append(f"{target}: unknown source {source!r}.")
            continue
        if spec is not None:
            field = spec.field(source[5:])
            if field is None:
                problems.append(f"{target}: the form has no field {source[5:]!r}.")
            elif field.phi:
                problems.append(f"{target}: {source[5:]!r} holds patient information.")
    return problems


def build_payload(
    approval: ApprovalRequest, spec: engine.WorkflowSpec, mapping: dict[str, str]
) -> dict[str, Any]:
    problems = mapping_problems(mapping, spec)
    if problems:
        raise PermanentError("The ERP field mapping is not usable: " + " ".join(problems))
    payload: dict[str, Any] = {}
    for target, source in mapping.items():
        value: Any
        if source.startswith("const:"):
            value = source[6:]
        elif source == "reference":
            value = approval.reference
        elif source == "amount":
            value = approval.amount
        elif source == "urgency":
            value = approval.urgency
        elif source == "workflow":
            value = spec.key
        else:
            value = approval.data.get(source[5:])
        if isinstance(value, Decimal):
            value = str(value)
        payload[target] = value
    return payload


def has_sources(approval: ApprovalRequest, mapping: dict[str, str]) -> bool:
    """Whether every `data.` source the mapping needs is present in the request."""
    return all(
        approval.data.get(source[5:]) not in (None, "")
        for source in mapping.values()
        if source.startswith("data.")
    )
