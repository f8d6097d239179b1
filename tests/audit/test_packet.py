"""The approval packet PDF: decisions, reasons and digests present; generation audited."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from apps.approvals.discussion import attachment_add, comment_add
from apps.approvals.services import DecisionInput, task_decide
from apps.audit.models import AuditEntry
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in


@pytest.fixture
def decided(tenant_a, carol, bob, victor):
    with tenant_context(tenant_a):
        request = submit_capital(carol, "50000")
        body = b"%PDF-1.4 vendor quote"
        attachment_add(
            actor=carol,
            approval=request,
            upload=SimpleUploadedFile("quote.pdf", body, content_type="application/pdf"),
        )
        comment_add(actor=bob, approval=request, body="Checked against the budget.")
        (task,) = pending(request)
        task_decide(actor=bob, task=task, decision=DecisionInput("approve", comment="Fine."))
        (task,) = pending(request)
        task_decide(
            actor=victor,
            task=task,
            decision=DecisionInput("reject", "BUDGET_NOT_AVAILABLE", "No capital left in Q4."),
        )
    return request, hashlib.sha256(body).hexdigest()


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_packet_holds_decisions_reasons_digests_and_audit_hash(decided, client_a, tenant_a):
    request, digest = decided
    sign_in(client_a, "carol@alpha.test")
    response = client_a.get(f"/requests/{request.reference}/packet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(_text(response.content).split())
    for expected in (
        f"Approval packet · {request.reference}",
        "Alpha General Hospital",
        "Bob Approver",
        "Approved",
        "Victor Vice-President",
        "Denied",
        "Budget not available",
        "No capital left in Q4.",
        "Checked against the budget.",
        "quote.pdf",
    ):
        assert expected in text, expected
    assert digest in text.replace(" ", "")
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(
            action="packet.download", request_reference=request.reference
        ).last()
        assert entry is not None
        assert entry.actor_email == "carol@alpha.test"
        assert entry.prev_hash[:16] in text.replace(" ", "")


def test_outsiders_cannot_download_the_packet(decided, client_a, client_b):
    request, _ = decided
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get(f"/requests/{request.reference}/packet.pdf").status_code == 404
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get(f"/requests/{request.reference}/packet.pdf").status_code == 404


def test_prior_authorization_packet_is_marked_phi_with_the_logo_and_no_orphan_audit_page(
    client_a, tenant_a, carol
):
    from django.core.files.base import ContentFile

    from apps.tenants.models import Branding
    from tests.sla.helpers import submit_prior_auth

    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9"
        b"\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    brand = Branding.objects.get(tenant=tenant_a)
    brand.logo.save("alpha.png", ContentFile(png))
    with tenant_context(tenant_a):
        prior_auth = submit_prior_auth(carol)
        capital = submit_capital(carol, "9000")
    sign_in(client_a, "carol@alpha.test")
    marked = client_a.get(f"/requests/{prior_auth.reference}/packet.pdf").content
    pages = PdfReader(io.BytesIO(marked)).pages
    assert all("Contains PHI" in page.extract_text() for page in pages)
    # The audit block never stands alone on the last page: history rows come with it.
    before_audit = pages[-1].extract_text().split("Latest audit entry")[0]
    assert len(before_audit.split()) > 12, before_audit
    assert any(page.images for page in pages[:1])  # the tenant's logo
    plain = client_a.get(f"/requests/{capital.reference}/packet.pdf").content
    assert "Contains PHI" not in _text(plain)
