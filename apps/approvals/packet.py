"""The approval packet: one branded PDF with the request, every decision and its reason, the
comments, the files with their SHA-256 digests and the hash of the latest audit entry."""

from __future__ import annotations

import base64

import filetype
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.forms import display_rows
from apps.approvals.line_decisions import outcomes_for
from apps.approvals.masking import hidden_fields, record_read, visible_data
from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditChainHead
from apps.tenants.models import Branding
from apps.workflows.selectors import spec_fields

MEANINGS = {"approve": "Approved", "reject": "Denied", "request_info": "Information requested"}


PHI_MARKING = "Contains PHI"
LOGO_MAX_BYTES = 512 * 1024


def _shows_phi(approval: ApprovalRequest, hidden: set[str]) -> bool:
    """Whether the packet holds a PHI answer this reader sees (then every page is marked)."""
    fields = approval.workflow_version.spec.get("form", {}).get("fields", [])
    return any(
        f.get("visibility") == "phi" and f["name"] not in hidden and approval.data.get(f["name"])
        for f in fields
    )


def _logo_uri(branding: Branding | None) -> str:
    """The tenant's logo inline (WeasyPrint fetches nothing over the network for a packet)."""
    if branding is None or not branding.logo:
        return ""
    try:
        with branding.logo.open("rb") as handle:
            content = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        return ""
    if len(content) > LOGO_MAX_BYTES:
        return ""
    kind = filetype.guess_mime(content) or (
        "image/svg+xml" if content.lstrip().startswith((b"<svg", b"<?xml")) else ""
    )
    if not kind.startswith("image/"):
        return ""
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


def packet_render(*, actor: User, approval: ApprovalRequest, tenant: object) -> bytes:
    """Render the packet of a request the actor may see (callers fetch it with `request_for`).
    Generating it is recorded as an access to patient data when it shows the patient's."""
    branding = Branding.objects.filter(tenant=tenant).first()  # type: ignore[misc]  # the connection's tenant
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    hidden = hidden_fields(user=actor, approval=approval)
    record_read(actor=actor, approval=approval, action="packet.download", hidden=hidden)
    lines = outcomes_for(approval, hidden)
    decisions = [
        {
            "lines": [row for row in lines if row["decision_id"] == d.pk],
            "step": d.task.step_name,
            "who": d.actor.full_name,
            "on_behalf_of": d.on_behalf_of.full_name if d.on_behalf_of else "",
            "when": d.decided_at,
            "meaning": ("Partially approved" if d.partial else MEANINGS.get(d.outcome, d.outcome)),
            "reason": d.reason_code.label if d.reason_code else "",
            "comment": d.comment,
            "channel": d.channel,
        }
        for d in approval.decisions.all()
    ]
    html = render_to_string(
        "approvals/packet.html",
        {
            "approval": approval,
            "workflow": approval.workflow_version.definition,
            "version": approval.workflow_version,
            "rows": [  # unanswered optional fields are left out
                row
                for row in display_rows(
                    spec_fields(approval.workflow_version),
                    visible_data(user=actor, approval=approval, hidden=hidden),
                )
                if row["value"] != ""
            ],
            "decisions": decisions,
            "comments": list(approval.comments.all()),
            "attachments": list(approval.attachments.all()),
            "timeline": list(approval.timeline.all()),
            "branding": branding,
            "logo_uri": _logo_uri(branding),
            "phi_marking": PHI_MARKING if _shows_phi(approval, hidden) else "",
            "generated_at": timezone.now(),
            "generated_by": actor.full_name,
            "audit_sequence": head[0] if head else 0,
            "audit_hash": head[1] if head else "",
        },
    )
    from weasyprint import HTML  # heavy: imported only when a packet is made

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
