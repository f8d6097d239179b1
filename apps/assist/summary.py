"""Case summary for reviewers: short statements, each citing where it came from (a form field
by its label, a timeline entry, an attachment by name). Answers of phi and sensitive fields are
not copied into the summary (it is stored and shown to every reviewer): the statement points at
the field instead."""

from __future__ import annotations

from typing import Any

from apps.approvals.masking import field_class
from apps.approvals.models import ApprovalRequest


def case_summary(
    approval: ApprovalRequest, classifications: dict[int, str]
) -> list[dict[str, str]]:
    spec = approval.workflow_version.spec
    statements: list[dict[str, str]] = [
        {
            "text": f"{spec.get('name', 'Request')} ({approval.get_urgency_display().lower()}), "
            f"status {approval.get_status_display().lower()}.",
            "source": "request record",
        }
    ]
    data: dict[str, Any] = approval.data or {}
    for field in spec.get("form", {}).get("fields", []):
        name, label = field["name"], field.get("label", field["name"])
        if field.get("type") == "file":
            continue
        value = data.get(name)
        if value in (None, "", []):
            statements.append({"text": f"{label}: not answered.", "source": f"field “{label}”"})
        elif field_class(field) != "open":
            kind = "patient data" if field_class(field) == "phi" else "sensitive"
            statements.append(
                {
                    "text": f"{label}: answered ({kind}, see the request).",
                    "source": f"field “{label}”",
                }
            )
        else:
            shown = str(value)
            statements.append({"text": f"{label}: {shown[:120]}", "source": f"field “{label}”"})
    for attachment in approval.attachments.all():
        kind = classifications.get(attachment.pk, "not classified")
        statements.append(
            {
                "text": f"Attachment classified as {kind}.",
                "source": f"attachment “{attachment.original_name}”",
            }
        )
    for entry in approval.timeline.all().order_by("-at", "-id")[:5]:
        statements.append(
            {"text": entry.summary, "source": f"timeline {entry.at:%Y-%m-%d %H:%M} ({entry.kind})"}
        )
    return statements
