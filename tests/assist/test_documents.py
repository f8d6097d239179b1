"""Document text (text layer and OCR by a real worker), criteria checklists with evidence,
document-form consistency, and the checklist admin page's permissions."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from apps.approvals.discussion import attachment_add
from apps.approvals.models import ApprovalRequest
from apps.assist import services
from apps.assist.criteria import PageText, evaluate_checklist
from apps.assist.documents import attachment_pages_store
from apps.assist.models import CriteriaChecklist, DocumentPage, Recommendation
from tests.approvals.helpers import submit_capital
from tests.assist.docs import scanned_pdf, text_pdf
from tests.conftest import sign_in
from tests.fixtures.celery_worker import wait_for
from tests.sla.helpers import submit_prior_auth

MET_NOTE = [
    "Clinic note, Dr. Rivera, lumbar spine.",
    "Low back pain radiating to the left leg.",
    "Patient completed 8 weeks of physical therapy",
    "without relief.",
]
NOT_MET_NOTE = [
    "Clinic note, Dr. Rivera, lumbar spine.",
    "Low back pain for three weeks.",
    "The patient has not tried physical therapy.",
]


def _upload(actor, approval, name, content):
    return attachment_add(
        actor=actor,
        approval=approval,
        upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
    )


def _criterion(rec, key):
    return next(r for r in rec.output["results"] if r["key"] == key)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lines", "status", "quoted"),
    [
        (MET_NOTE, "met", "8 weeks of physical therapy"),
        (NOT_MET_NOTE, "not_met", "has not tried physical therapy"),
    ],
)
def test_a_scanned_note_is_read_by_the_worker_and_checked_against_the_criteria(
    django_db_setup, celery_worker, open_db, lines, status, quoted
):
    from django.test import Client

    from apps.accounts.models import User
    from apps.tenants.models import Tenant
    from tests.conftest import host_of

    tenant_a = Tenant.objects.get(slug="alpha")
    client_a = Client(HTTP_HOST=host_of("alpha"))
    scan = scanned_pdf(lines)
    assert PdfReader(io.BytesIO(scan)).pages[0].extract_text().strip() == ""
    with tenant_context(tenant_a):
        carol = User.objects.get(email="carol@alpha.test")
        approval = submit_prior_auth(carol)
        try:
            attachment = _upload(carol, approval, "clinic-note-scan.pdf", scan)
            pages = wait_for(
                lambda: list(DocumentPage.objects.filter(attachment=attachment)), timeout=90
            )
            assert [(p.page_number, p.method) for p in pages] == [(1, "ocr")]
            before = ApprovalRequest.objects.get(pk=approval.pk).updated_at
            sign_in(client_a, "bob@alpha.test")
            response = client_a.get(f"/requests/{approval.reference}/assist/")
            assert response.status_code == 200
            html = response.content.decode()
            label = "met" if status == "met" else "not met"
            assert f"6 weeks of conservative therapy: {label}" in html
            assert quoted in html
            assert "clinic-note-scan.pdf, page 1" in html
            assert f"/attachments/{attachment.pk}#page=1" in html
            assert "Advisory — does not decide" in html
            rec = Recommendation.objects.filter(request=approval, kind="criteria").first()
            result = _criterion(rec, "conservative_therapy")
            assert result["status"] == status
            assert result["page"] == 1
            assert rec.model_version.startswith("context-rules-1:lumbar-spine-mri@v")
            assert len(rec.inputs_hash) == 64
            assert ApprovalRequest.objects.get(pk=approval.pk).updated_at == before
        finally:
            approval.delete()


def test_a_quote_total_that_differs_from_the_form_is_a_finding(tenant_a, carol):
    with tenant_context(tenant_a):
        approval = submit_capital(carol, amount="18500")
        quote = text_pdf(
            [
                "Acme Medical - Quotation Q-2291",
                "Item: CT scanner upgrade kit",
                "Total: $21,400.00",
            ]
        )
        attachment = _upload(carol, approval, "acme-quote.pdf", quote)
        assert attachment_pages_store(attachment.pk) == 1
        assert DocumentPage.objects.get(attachment=attachment).method == "text-layer"
        rec = services.consistency_evaluate(approval, *services.request_pages(approval))
        [finding] = rec.output["findings"]
        assert finding["key"] == "amount_mismatch"
        assert "$21,400.00" in finding["message"]
        assert "$18,500.00" in finding["message"]
        assert "Total: $21,400.00" in finding["snippet"]
        assert (finding["document"], finding["page"]) == ("acme-quote.pdf", 1)


def test_a_matching_quote_has_no_finding_and_a_wrong_vendor_has_one(tenant_a, carol):
    with tenant_context(tenant_a):
        approval = submit_capital(carol, amount="18500")
        _upload(carol, approval, "q.pdf", text_pdf(["Zenith Imaging quote", "Total: $18,500"]))
        for attachment in approval.attachments.all():
            attachment_pages_store(attachment.pk)
        rec = services.consistency_evaluate(approval, *services.request_pages(approval))
        assert [f["key"] for f in rec.output["findings"]] == ["vendor_mismatch"]


def test_codes_in_the_notes_that_differ_from_the_form_are_findings():
    from apps.assist.consistency import consistency_check

    pages = [
        PageText("note.pdf", 2, "Diagnosis: M51.26 lumbar disc herniation. CPT 72158 ordered.")
    ]
    findings = consistency_check({"cpt_code": "72148", "diagnosis": "M54.50"}, pages)
    assert {f.key for f in findings} == {"diagnosis_mismatch", "cpt_mismatch"}
    assert all(f.page == 2 for f in findings)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Completed eight weeks of physical therapy.", "met"),
        ("Two months of conservative therapy with NSAIDs.", "met"),
        ("No physical therapy so far.", "not_met"),
        ("Patient has not tried physical therapy.", "not_met"),
        ("Three weeks of physical therapy, ongoing.", "not_met"),
        ("Follow-up in clinic.", "not_found"),
    ],
)
def test_conservative_therapy_rule(text, status):
    criteria = [
        {"key": "ct", "label": "6 weeks", "phrases": ["physical therapy", "conservative therapy"],
         "min_weeks": 6}
    ]  # fmt: skip
    [result] = evaluate_checklist(criteria, [PageText("n.pdf", 1, text)])
    assert result.status == status


def test_shipped_checklists_load_and_edits_make_versions(tenant_a, alice, bob):
    from apps.assist.checklists import ChecklistInvalid, checklist_edit, checklists_load

    with tenant_context(tenant_a):
        checklists_load()
        assert set(CriteriaChecklist.objects.values_list("key", flat=True)) >= {
            "lumbar-spine-mri", "infusion-biologics", "knee-arthroplasty"
        }  # fmt: skip
        first = CriteriaChecklist.objects.get(key="lumbar-spine-mri", version=1)
        with pytest.raises(ChecklistInvalid) as error:
            checklist_edit(actor=alice, checklist=first, title="x", criteria=[{"key": "a"}])
        assert "needs a text 'label'" in str(error.value)
        with pytest.raises(PermissionError):
            checklist_edit(actor=bob, checklist=first, title="x", criteria=first.criteria)
        second = checklist_edit(actor=alice, checklist=first, title="MRI", criteria=first.criteria)
        assert second.version == 2
        assert second.is_active
        first.refresh_from_db()
        assert not first.is_active


def test_checklist_admin_page_permissions(tenant_a, client_a, client_b):
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/assist/criteria/")
    assert page.status_code == 200
    assert "Lumbar-spine MRI" in page.content.decode()
    with tenant_context(tenant_a):
        checklist = CriteriaChecklist.objects.get(key="lumbar-spine-mri", is_active=True)
    bad = client_a.post(
        f"/admin/assist/criteria/{checklist.pk}/",
        {"title": "MRI", "criteria": '[{"key": 1}'},
    )
    assert bad.status_code == 400
    assert "not valid JSON" in bad.content.decode()
    good = client_a.post(
        f"/admin/assist/criteria/{checklist.pk}/",
        {"title": "MRI", "criteria": json.dumps(checklist.criteria)},
    )
    assert good.status_code == 302
    client_a.logout()
    sign_in(client_a, "bob@alpha.test")
    assert client_a.get("/admin/assist/criteria/").status_code in (403, 404)
    assert client_a.post(f"/admin/assist/criteria/{checklist.pk}/", {}).status_code in (403, 404)
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get(f"/admin/assist/criteria/{checklist.pk}/").status_code in (403, 404)
