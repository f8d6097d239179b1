"""OperationOutcome errors: every problem names its FHIRPath so the sender can fix it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.operationoutcome import OperationOutcome


@dataclass(frozen=True)
class Issue:
    code: str  # FHIR issue-type: structure, required, value, code-invalid, not-found, ...
    diagnostics: str
    expression: str
    severity: str = "error"


class FhirProblem(Exception):
    """One or more issues, answered as an OperationOutcome with `http_status`."""

    def __init__(self, issues: list[Issue], http_status: int = 400) -> None:
        super().__init__("; ".join(f"{i.expression}: {i.diagnostics}" for i in issues))
        self.issues = issues
        self.http_status = http_status


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    outcome = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": issue.severity,
                    "code": issue.code,
                    "diagnostics": issue.diagnostics[:500],
                    **({"expression": [issue.expression]} if issue.expression else {}),
                }
                for issue in issues
            ],
        }
    )
    body: dict[str, Any] = json.loads(outcome.model_dump_json())
    return body


def fhir_path(loc: tuple[Any, ...], root: str = "Bundle") -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
