"""PAS round trip: a Claim bundle becomes a prior-authorization request, the approver decides
in the web UI, and the outcome comes back as a ClaimResponse with X12 306 review actions."""

import copy
import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from apps.approvals.models import ApprovalRequest
from apps.integrations.fhir import codes
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

SAMPLE = json.loads((Path(__file__).parent / "pas_claim_bundle.json").read_text())
SUBMIT = "/fhir/Claim/$submit"


def submit(client, bundle=SAMPLE, **extra):
    body = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
    return client.post(SUBMIT, body, content_type="application/fhir+json", **extra)


def claim_of(bundle: dict) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim")


def review_actions(bundle_json: dict) -> list[str]:
    """Parse with fhir.resources R4B and read each item's X12 306 review action code."""
    bundle = Bundle.model_validate(bundle_json)
    (response,) = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "ClaimResponse"
    ]
    actions = []
    for item in response.item:
        (adjudication,) = item.adjudication
        (review,) = [x for x in adjudication.extension if x.url == codes.REVIEW_ACTION_URL]
        (code,) = [x for x in review.extension if x.url == "code"]
        (coding,) = code.valueCodeableConcept.coding
        assert coding.system == codes.X12_306
        actions.append(coding.code)
    return actions


def claim_response(bundle_json: dict):
    bundle = Bundle.model_validate(bundle_json)
    return next(
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "ClaimResponse"
    )


def decide_in_ui(client, reference: str, decision: str, **fields) -> None:
    """The utilization reviewer claims the queue task and decides on the request page."""
    with_tenant = ApprovalRequest.objects.get(reference=reference)
    (task,) = with_tenant.tasks.filter(status="pending")
    page = client.get(f"/requests/{reference}/")
    assert page.status_code == 200
    assert f'data-testid="decide-{task.pk}"' in page.content.decode()
    assert client.post(f"/requests/{reference}/tasks/{task.pk}/claim").status_code == 302
    response = client.post(
        f"/requests/{reference}/tasks/{task.pk}/decide", {"decision": decision, **fields}
    )
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def imported(in_tenant_a, client_a):
    sign_in(client_a, "carol@alpha.test")
    response = submit(client_a)
    assert response.status_code == 201, response.content.decode()
    reference = claim_response(response.json()).preAuthRef
    client_a.logout()
    return ApprovalRequest.objects.get(reference=reference), response


def test_import_maps_the_claim_to_the_form(imported, carol):
    request, response = imported
    assert request.workflow_version.definition.key == "prior-auth-imaging"
    assert request.requester == carol
    assert request.status == "in_review"
    assert request.data["patient_name"] == "Maria L Rivera"
    assert request.data["date_of_birth"] == "1968-04-12"
    assert request.data["member_id"] == "ACM123456789"
    assert request.data["payer"] == "Acme Health"
    assert request.data["cpt_code"] == "72148"
    assert request.data["diagnosis"] == "M54.16"
    assert request.data["ordering_provider_npi"] == "1234567893"
    assert request.data["site_of_care"] == "Hospital outpatient department"
    assert str(request.data["conservative_therapy_weeks"]) == "8"
    assert "physical therapy" in request.data["clinical_notes"]
    assert response["Location"] == f"/fhir/ClaimResponse/{request.reference}"
    assert response["Content-Type"].startswith("application/fhir+json")
    assert review_actions(response.json()) == ["A4", "A4"]  # pended while in review
    assert claim_response(response.json()).outcome == "queued"


def test_round_trip_approved_in_the_ui_exports_a1(imported, client_a):
    request, _ = imported
    sign_in(client_a, "bob@alpha.test")
    decide_in_ui(client_a, request.reference, "approve")
    request.refresh_from_db()
    assert request.status == "approved"
    client_a.logout()

    sign_in(client_a, "carol@alpha.test")
    response = client_a.get(f"/fhir/ClaimResponse/{request.reference}")
    assert response.status_code == 200
    body = response.json()
    assert review_actions(body) == ["A1", "A1"]
    claim_response_ = claim_response(body)
    assert claim_response_.use == "preauthorization"
    assert claim_response_.outcome == "complete"
    assert claim_response_.preAuthRef == request.reference
    assert claim_response_.preAuthPeriod.start is not None
    assert claim_response_.preAuthPeriod.end > claim_response_.preAuthPeriod.start
    assert [i.itemSequence for i in claim_response_.item] == [1, 2]
    assert claim_response_.request.identifier.value == "CLM-20260415-0001"


def test_denied_exports_a3(imported, client_a):
    request, _ = imported
    sign_in(client_a, "bob@alpha.test")
    decide_in_ui(
        client_a,
        request.reference,
        "reject",
        reason_code="POLICY_EXCLUSION",
        comment="Imaging not indicated yet.",
    )
    request.refresh_from_db()
    assert request.status == "denied"
    response = client_a.get(f"/fhir/ClaimResponse/{request.reference}")
    assert review_actions(response.json()) == ["A3", "A3"]
    assert claim_response(response.json()).preAuthPeriod is None


def test_cancelled_exports_c(imported, alice):
    from apps.approvals.services import request_cancel
    from apps.integrations.fhir.pas_export import claim_response_bundle

    request, _ = imported
    request_cancel(actor=alice, approval=request, reason="Duplicate submission")
    request.refresh_from_db()
    assert review_actions(claim_response_bundle(request)) == ["C", "C"]


def test_resubmitting_the_same_claim_returns_the_same_request(imported, client_a):
    request, _ = imported
    sign_in(client_a, "carol@alpha.test")
    again = submit(client_a)
    assert again.status_code == 200
    assert claim_response(again.json()).preAuthRef == request.reference
    assert ApprovalRequest.objects.filter(workflow_version=request.workflow_version).count() == 1


# --- malformed bundles -------------------------------------------------------------------------


def problems(response) -> list[dict]:
    assert response.status_code == 400, response.content.decode()[:500]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"]


@pytest.fixture
def carol_client(in_tenant_a, client_a):
    sign_in(client_a, "carol@alpha.test")
    return client_a


def test_wrong_use_is_refused(carol_client):
    bundle = copy.deepcopy(SAMPLE)
    claim_of(bundle)["use"] = "preauth"
    (issue,) = problems(submit(carol_client, bundle))
    assert issue["severity"] == "error"
    assert issue["code"] == "code-invalid"
    assert issue["expression"] == ["Bundle.entry[0].resource.use"]
    assert "preauthorization" in issue["diagnostics"]


@pytest.mark.parametrize("bundle_type", ["transaction", "batch", None])
def test_a_bundle_that_is_not_a_collection_is_refused(carol_client, bundle_type):
    bundle = copy.deepcopy(SAMPLE)
    if bundle_type is None:
        del bundle["type"]
    else:
        bundle["type"] = bundle_type
    response = submit(carol_client, bundle)
    assert response.status_code == 400
    (issue,) = problems(response)
    assert issue["expression"] == ["Bundle.type"]
    assert "collection" in issue["diagnostics"]
    assert not ApprovalRequest.objects.filter(data__member_id=claim_member(bundle)).exists()


def claim_member(bundle: dict) -> str:
    return next(
        e["resource"]["subscriberId"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Coverage"
    )


def test_bundle_without_a_claim_is_refused(carol_client):
    bundle = copy.deepcopy(SAMPLE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Claim"]
    (issue,) = problems(submit(carol_client, bundle))
    assert issue["code"] == "required"
    assert "no Claim" in issue["diagnostics"]


@pytest.mark.parametrize(
    ("code", "words"), [("M54.5", "not a billable code"), ("X99.99", "not an ICD-10-CM code")]
)
def test_bad_icd_code_is_refused(carol_client, code, words):
    bundle = copy.deepcopy(SAMPLE)
    claim_of(bundle)["diagnosis"][1]["diagnosisCodeableConcept"]["coding"][0]["code"] = code
    issues = problems(submit(carol_client, bundle))
    assert [i["expression"] for i in issues] == [
        ["Bundle.entry[0].resource.diagnosis[1].diagnosisCodeableConcept.coding.code"]
    ]
    assert words in issues[0]["diagnostics"] or "is not" in issues[0]["diagnostics"]
    assert not ApprovalRequest.objects.filter(
        workflow_version__definition__key="prior-auth-imaging"
    ).exists()


def test_bad_cpt_and_missing_patient_are_all_reported(carol_client):
    bundle = copy.deepcopy(SAMPLE)
    claim = claim_of(bundle)
    claim["item"][1]["productOrService"]["coding"][0]["code"] = "7214"
    claim["patient"] = {"reference": "Patient/nobody"}
    paths = [i["expression"][0] for i in problems(submit(carol_client, bundle))]
    assert "Bundle.entry[0].resource.patient" in paths
    assert "Bundle.entry[0].resource.item[1].productOrService.coding.code" in paths


def test_structural_errors_name_the_path(carol_client):
    bundle = copy.deepcopy(SAMPLE)
    del claim_of(bundle)["patient"]
    issues = problems(submit(carol_client, bundle))
    assert "Bundle.entry[0].resource.patient" in [i["expression"][0] for i in issues]


@pytest.mark.parametrize("raw", [b"{oops", b'{"resourceType": "Patient"}', b"[]"])
def test_not_a_bundle_is_refused(carol_client, raw):
    (issue,) = problems(submit(carol_client, raw))
    assert issue["code"] == "structure"


# --- outsiders ----------------------------------------------------------------------------------


def test_anonymous_gets_401(imported, client_a):
    request, _ = imported
    for response in (
        submit(client_a),
        client_a.get(f"/fhir/ClaimResponse/{request.reference}"),
    ):
        assert response.status_code == 401
        assert response.json()["resourceType"] == "OperationOutcome"


def test_olivia_cannot_export_or_replay_a_request_she_cannot_see(imported, client_a):
    request, _ = imported
    sign_in(client_a, "olivia@alpha.test")
    response = client_a.get(f"/fhir/ClaimResponse/{request.reference}")
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"
    replay = submit(client_a)
    assert replay.status_code == 404
    assert ApprovalRequest.objects.filter(workflow_version=request.workflow_version).count() == 1


def test_tenant_b_cannot_reach_tenant_a(imported, client_a, client_b):
    request, _ = imported
    sign_in(client_b, "dave@bravo.test")
    # On B's own host, A's reference does not exist.
    assert client_b.get(f"/fhir/ClaimResponse/{request.reference}").status_code == 404
    assert submit(client_b).status_code == 201  # B's import lands in B, not A
    # B's session cookie on A's host is not a session there.
    client_a.cookies = client_b.cookies
    assert client_a.get(f"/fhir/ClaimResponse/{request.reference}").status_code == 401
    assert submit(client_a).status_code == 401


def test_exporting_a_non_prior_auth_request_is_404(in_tenant_a, carol, client_a):
    from tests.approvals.helpers import submit_capital

    capital = submit_capital(carol, "9000")
    sign_in(client_a, "carol@alpha.test")
    assert client_a.get(f"/fhir/ClaimResponse/{capital.reference}").status_code == 404


def test_no_phi_in_the_location_url(imported):
    _, response = imported
    assert "Rivera" not in response["Location"]
    assert "ACM123456789" not in response["Location"]


def _adjudication_reasons(bundle_json: dict) -> list[str]:
    response = claim_response(bundle_json)
    return [
        coding.code
        for item in response.item
        for adjudication in item.adjudication
        if adjudication.reason is not None
        for coding in adjudication.reason.coding
    ]


def test_a_denial_carries_its_specific_reason(imported, client_a):
    request, _ = imported
    sign_in(client_a, "bob@alpha.test")
    decide_in_ui(client_a, request.reference, "reject", reason_code="POLICY_EXCLUSION",
                 comment="Imaging not indicated yet.")  # fmt: skip
    bundle = client_a.get(f"/fhir/ClaimResponse/{request.reference}").json()
    assert _adjudication_reasons(bundle) == ["POLICY_EXCLUSION", "POLICY_EXCLUSION"]
    response = claim_response(bundle)
    assert response.disposition.startswith("Denied: ")
    assert response.processNote[0].text == "Imaging not indicated yet."


@pytest.fixture
def hidden_from_reviewers(in_tenant_a, alice, client_a):
    """Prior authorization published with utilization reviewers (bob) not needing PHI."""
    from apps.workflows.services import workflow_publish

    library = Path(__file__).resolve().parents[3] / "apps" / "workflows" / "library"
    spec = json.loads((library / "prior-auth-imaging.json").read_text())
    spec["phi_hidden_from_roles"] = ["utilization_reviewer"]
    workflow_publish(actor=alice, spec=spec, note="minimum necessary")
    sign_in(client_a, "carol@alpha.test")
    response = submit(client_a)
    assert response.status_code == 201, response.content.decode()
    client_a.logout()
    return ApprovalRequest.objects.get(reference=claim_response(response.json()).preAuthRef)


def _patient(bundle_json: dict):
    bundle = Bundle.model_validate(bundle_json)
    return next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient")


def test_claim_response_hides_phi_from_a_role_that_does_not_need_it(
    hidden_from_reviewers, client_a
):
    from apps.audit.models import AuditEntry

    request = hidden_from_reviewers
    name = request.data["patient_name"]
    views = AuditEntry.objects.filter(action="fhir.claim_response.view",
                                      request_reference=request.reference)  # fmt: skip
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get(f"/fhir/ClaimResponse/{request.reference}")
    assert response.status_code == 200
    assert name not in response.content.decode()
    assert request.data["member_id"] not in response.content.decode()
    patient = _patient(response.json())
    assert (patient.name, patient.identifier, patient.birthDate) == (None, None, None)
    assert patient.meta.security[0].code == "REDACTED"
    assert not views.exists()  # no PHI shown, nothing to record

    client_a.logout()
    sign_in(client_a, "carol@alpha.test")  # the requester sees the patient
    response = client_a.get(f"/fhir/ClaimResponse/{request.reference}")
    assert name in response.content.decode()
    (entry,) = views
    assert entry.actor_email == "carol@alpha.test"
    assert entry.category == "phi_access"
