"""Pure parts of assist: completeness rules, the classifier and the provider guard."""

import pytest

from apps.assist.classifier import UNSURE, classify, extract_text, held_out_accuracy
from apps.assist.completeness import completeness_check
from apps.assist.models import AssistSettings
from apps.assist.providers import LocalProvider, PhiNotAllowed, guard_phi, provider_for
from apps.workflows.library import __file__ as library_init

LIBRARY = __import__("pathlib").Path(library_init).parent


def _spec(key):
    import json

    return json.loads((LIBRARY / f"{key}.json").read_text())


GOOD = {
    "patient_name": "Jordan Example",
    "date_of_birth": "1970-04-12",
    "member_id": "XZA1",
    "payer": "Acme Health",
    "cpt_code": "72148",
    "diagnosis": "M54.50",
    "ordering_provider_npi": "1234567893",
    "site_of_care": "Physician office",
    "conservative_therapy_weeks": 8,
    "clinical_notes": "Low back pain for 10 weeks despite physical therapy and NSAIDs.",
}


def _open(findings):
    return {f.code for f in findings if not f.ok}


def test_complete_prior_auth_has_no_open_items():
    findings = completeness_check(
        spec=_spec("prior-auth-imaging"), data=GOOD, attachments=[{"name": "note.pdf"}]
    )
    assert _open(findings) == set()
    assert {f.code for f in findings} >= {"conservative_therapy", "supporting_document"}


def test_missing_therapy_weeks_and_document_are_listed():
    data = {**GOOD, "conservative_therapy_weeks": None}
    findings = completeness_check(spec=_spec("prior-auth-imaging"), data=data, attachments=[])
    assert _open(findings) == {
        "required_missing",
        "conservative_therapy_missing",
        "supporting_document",
    }


def test_short_therapy_for_spine_mri_is_flagged():
    data = {**GOOD, "conservative_therapy_weeks": 2}
    findings = completeness_check(
        spec=_spec("prior-auth-imaging"), data=data, attachments=[{"name": "x"}]
    )
    assert _open(findings) == {"conservative_therapy_short"}


def test_capital_purchase_wants_a_quote():
    spec = _spec("capital-purchase")
    assert "vendor_quote" in _open(completeness_check(spec=spec, data={}, attachments=[]))
    ok = completeness_check(spec=spec, data={}, attachments=[{"name": "a.pdf", "kind": "quote"}])
    assert "vendor_quote" not in _open(ok)


def test_classifier_accuracy_on_held_out_split():
    accuracy, n = held_out_accuracy()
    assert n >= 40
    assert accuracy >= 0.9


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (
            "Radiology report. MRI lumbar spine. Findings: disc bulge. Impression: mild.",
            "imaging_report",
        ),
        ("INVOICE INV-1. Amount due $400. Payment terms net 30.", "invoice"),
        ("Quotation valid for 60 days, estimated price per unit, proposal.", "quote"),
    ],
)
def test_classifier_labels(text, label):
    assert classify(text).label == label


def test_low_confidence_is_unsure():
    result = classify("zzz qqq lorem ipsum", threshold=0.6)
    assert result.label == UNSURE
    assert result.confidence < 0.6
    assert result.display.startswith("Unsure")
    # A stricter tenant threshold turns a confident answer into "unsure" too.
    assert classify("INVOICE amount due", threshold=1.01).label == UNSURE


def test_pdf_text_is_extracted_with_pypdf():
    from weasyprint import HTML

    pdf = HTML(string="<p>Radiology report. Impression: normal study.</p>").write_pdf()
    assert "Impression" in extract_text(pdf, "application/pdf")
    assert extract_text(b"not a pdf", "application/pdf") == ""
    assert extract_text(b"\x89PNG", "image/png") == ""


class FakeExternal:
    name = "fake-external"
    external = True

    def summarise(self, *, statements):
        raise AssertionError("must not be called")

    def classify(self, *, text):
        raise AssertionError("must not be called")


def test_local_provider_by_default_and_phi_guard():
    settings = AssistSettings()
    assert isinstance(provider_for(settings), LocalProvider)
    assert settings.allow_external_phi is False
    with pytest.raises(PhiNotAllowed):
        guard_phi(FakeExternal(), settings, {"patient": "x"})
    allowed = AssistSettings(allow_external_phi=True)
    assert guard_phi(FakeExternal(), allowed, {"a": 1}) == {"a": 1}
    configured = AssistSettings(external_provider="tests.assist.test_units.FakeExternal")
    assert provider_for(configured).external is True
