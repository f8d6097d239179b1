"""Minimum necessary on every read path, with visibility classes: a prior authorization whose
PHI is hidden from utilization reviewers (bob) and whose sensitive service date is hidden from
them too in one variant. For each path the reviewer gets none of the PHI values and leaves no
PHI-access entry; the requester (carol) or an admin (alice) sees them and leaves one."""

import csv
import io
import json
import uuid

import pytest
from django_tenants.utils import tenant_context

from apps.approvals.masking import HIDDEN, hidden_fields, visible_data
from apps.approvals.selectors import requests_visible_to
from apps.approvals.services import request_create
from apps.audit.models import AuditEntry
from apps.insights import exports
from apps.insights.selectors import Filters
from apps.integrations.models import OutboxEvent
from apps.notifications.models import Notification
from apps.workflows.models import WorkflowDefinition
from tests.compliance.conftest import LIBRARY
from tests.compliance.test_minimum_necessary import _pdf_text
from tests.conftest import sign_in


def _marker(label: str) -> str:
    return f"PHI{label}{uuid.uuid4().hex[:10]}"


PHI_FIELDS = ("patient_name", "member_id", "clinical_notes")


def _publish(alice, **changes):
    from apps.workflows.services import workflow_publish

    spec = json.loads((LIBRARY / "prior-auth-imaging.json").read_text())
    spec.update(changes)
    return workflow_publish(actor=alice, spec=spec, note="minimum necessary").definition


def _create(workflow, carol, django_capture_on_commit_callbacks):
    data = {
        "patient_name": _marker("name"),
        "member_id": _marker("member"),
        "clinical_notes": _marker("notes"),
        "date_of_birth": "1958-02-11",
        "cpt_code": "72148",
        "diagnosis": "M54.50",
        "payer": "Acme Health",
        "ordering_provider_npi": "1234567893",
        "site_of_care": "Physician office",
        "requested_service_date": "2031-05-17",
        "conservative_therapy_weeks": "8",
    }
    with django_capture_on_commit_callbacks(execute=True):
        return request_create(actor=carol, workflow=workflow, data=data)


@pytest.fixture
def hidden_from_reviewers(in_tenant_a, alice, carol, django_capture_on_commit_callbacks):
    """A submitted prior authorization waiting in the utilization reviewers' queue (bob's),
    with PHI hidden from that role; `phi` are the values that must not reach bob."""
    workflow = _publish(alice, phi_hidden_from_roles=["utilization_reviewer"])
    approval = _create(workflow, carol, django_capture_on_commit_callbacks)
    assert approval.status == "in_review"
    return approval


def _values(approval) -> list[str]:
    return [approval.data[name] for name in PHI_FIELDS]


def _entries(approval, email, action):
    return AuditEntry.objects.filter(
        category="phi_access",
        actor_email=email,
        action=action,
        request_reference=approval.reference,
    )


def test_masking_decides_per_class_and_per_viewer(hidden_from_reviewers, bob, carol, alice):
    approval = hidden_from_reviewers
    hidden = hidden_fields(user=bob, approval=approval)
    assert set(PHI_FIELDS) <= hidden
    assert "requested_service_date" not in hidden  # sensitive: not hidden from reviewers here
    assert "payer" not in hidden  # open
    seen = visible_data(user=bob, approval=approval)
    assert seen["patient_name"] == HIDDEN
    assert seen["requested_service_date"] == "2031-05-17"
    for user in (carol, alice):
        assert hidden_fields(user=user, approval=approval) == set()
    # No known viewer (an emailed link's page): every phi and sensitive answer is hidden.
    anonymous = hidden_fields(user=None, approval=approval)
    assert "requested_service_date" in anonymous
    assert set(PHI_FIELDS) <= anonymous


def test_request_page(hidden_from_reviewers, client_a):
    approval = hidden_from_reviewers
    sign_in(client_a, "bob@alpha.test")
    page = client_a.get(f"/requests/{approval.reference}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert HIDDEN in text
    assert "Acme Health" in text  # open answers stay
    for value in _values(approval):
        assert value not in text
    assert not _entries(approval, "bob@alpha.test", "request.view").exists()

    client_a.logout()
    sign_in(client_a, "carol@alpha.test")
    text = client_a.get(f"/requests/{approval.reference}/").content.decode()
    for value in _values(approval):
        assert value in text
    (entry,) = _entries(approval, "carol@alpha.test", "request.view")
    assert set(PHI_FIELDS) <= set(entry.detail["phi_fields"])


def test_api_request_detail_and_list(hidden_from_reviewers, api, bob, carol):
    approval = hidden_from_reviewers
    reviewer = api(bob)
    detail = reviewer.get(f"/api/v1/requests/{approval.pk}")
    assert detail.status_code == 200
    body = json.dumps(detail.json())
    for value in _values(approval):
        assert value not in body
    assert detail.json()["data"]["patient_name"] == HIDDEN
    assert not _entries(approval, "bob@alpha.test", "api.request.view").exists()
    listing = reviewer.get("/api/v1/requests")
    assert listing.status_code == 200
    assert approval.reference in json.dumps(listing.json())
    for value in _values(approval):  # the list never carries answers
        assert value not in json.dumps(listing.json())

    mine = api(carol).get(f"/api/v1/requests/{approval.pk}").json()
    assert [mine["data"][name] for name in PHI_FIELDS] == _values(approval)
    assert _entries(approval, "carol@alpha.test", "api.request.view").count() == 1


def test_packet_pdf(hidden_from_reviewers, client_a):
    approval = hidden_from_reviewers
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get(f"/requests/{approval.reference}/packet.pdf")
    assert response.status_code == 200
    text = _pdf_text(response)
    assert "Hidden (minimum" in text
    for value in _values(approval):
        assert value not in text
    assert not _entries(approval, "bob@alpha.test", "packet.download").exists()

    client_a.logout()
    sign_in(client_a, "carol@alpha.test")
    text = _pdf_text(client_a.get(f"/requests/{approval.reference}/packet.pdf"))
    assert approval.data["patient_name"] in text
    assert _entries(approval, "carol@alpha.test", "packet.download").count() == 1


def _csv(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_requests_export_with_answers(hidden_from_reviewers, client_a, bob):
    approval = hidden_from_reviewers
    # The export is for tenant admins; through the same function, the reviewer's rows hide PHI.
    _, rows = exports.requests_rows_with_answers(
        requests_visible_to(bob), Filters(), reader=bob, action="test.export"
    )
    (row,) = [r for r in rows if r["reference"] == approval.reference]
    assert row["answer.patient_name"] == HIDDEN
    assert row["answer.payer"] == "Acme Health"
    for value in _values(approval):
        assert value not in json.dumps(rows, default=str)
    # Nothing recorded for this request (others bob sees, without PHI fields, may be).
    assert not AuditEntry.objects.filter(
        action="test.export", request_reference=approval.reference
    ).exists()

    sign_in(client_a, "bob@alpha.test")
    assert client_a.get("/admin/insights/export/requests.csv?answers=1").status_code == 403
    client_a.logout()
    sign_in(client_a, "alice@alpha.test")
    plain = client_a.get("/admin/insights/export/requests.csv")
    assert approval.data["patient_name"] not in plain.content.decode()  # no answers by default
    response = client_a.get("/admin/insights/export/requests.csv?answers=1")
    assert response.status_code == 200
    (row,) = [r for r in _csv(response) if r["reference"] == approval.reference]
    assert [row[f"answer.{name}"] for name in PHI_FIELDS] == _values(approval)
    entry = _entries(approval, "alice@alpha.test", "insights.export_requests.answers").get()
    assert "patient_name" in entry.detail["phi_fields"]


def test_fhir_claim_response(hidden_from_reviewers, client_a):
    approval = hidden_from_reviewers
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get(f"/fhir/ClaimResponse/{approval.reference}")
    assert response.status_code == 200
    for value in _values(approval):
        assert value not in response.content.decode()
    assert not _entries(approval, "bob@alpha.test", "fhir.claim_response.view").exists()
    client_a.logout()
    sign_in(client_a, "alice@alpha.test")
    response = client_a.get(f"/fhir/ClaimResponse/{approval.reference}")
    assert approval.data["patient_name"] in response.content.decode()
    assert _entries(approval, "alice@alpha.test", "fhir.claim_response.view").count() == 1


def test_notifications_and_webhook_payloads_carry_no_answers(hidden_from_reviewers):
    approval = hidden_from_reviewers
    payloads = [
        json.dumps(p)
        for p in OutboxEvent.objects.filter(request_id=approval.pk).values_list(
            "payload", flat=True
        )
    ]
    assert payloads, "the submission recorded webhook events"
    titles = list(Notification.objects.filter(request=approval).values_list("title", "url"))
    everything = [*payloads, json.dumps(titles)]
    answers = [*_values(approval), "1958-02-11", "M54.50", "2031-05-17", "Acme Health"]
    for text in everything:
        for value in answers:  # no answer of any class, not even open ones
            assert value not in text, (value, text[:200])


def test_sensitive_fields_follow_their_own_list(
    in_tenant_a, alice, bob, carol, client_a, django_capture_on_commit_callbacks
):
    workflow = _publish(alice, sensitive_hidden_from_roles=["utilization_reviewer"])
    approval = _create(workflow, carol, django_capture_on_commit_callbacks)
    assert hidden_fields(user=bob, approval=approval) == {"requested_service_date"}
    sign_in(client_a, "bob@alpha.test")
    text = client_a.get(f"/requests/{approval.reference}/").content.decode()
    assert "2031-05-17" not in text
    assert approval.data["patient_name"] in text  # PHI is not hidden from reviewers here
    # The reviewer saw the PHI: the read is recorded.
    assert _entries(approval, "bob@alpha.test", "request.view").count() == 1


def test_shipped_financial_assistance_hides_phi_from_finance_but_shows_income(in_tenant_a):
    spec = WorkflowDefinition.objects.get(key="financial-assistance").current_version.spec
    fields = {f["name"]: f["visibility"] for f in spec["form"]["fields"]}
    assert fields["patient_name"] == "phi"
    assert fields["annual_household_income"] == "sensitive"
    assert spec["phi_hidden_from_roles"] == ["finance_approver"]
    assert "finance_approver" not in spec.get("sensitive_hidden_from_roles", [])


@pytest.mark.parametrize("key", ["prior-auth-imaging", "discharge-coordination"])
def test_installed_templates_hide_phi_from_some_role(in_tenant_a, key):
    version = WorkflowDefinition.objects.get(key=key).current_version
    assert version.spec["phi_hidden_from_roles"]


def test_tenant_b_sees_nothing(hidden_from_reviewers, client_b, tenant_b):
    approval = hidden_from_reviewers
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get(f"/requests/{approval.reference}/").status_code == 404
    with tenant_context(tenant_b):
        assert not AuditEntry.objects.filter(request_reference=approval.reference).exists()


def test_the_resubmit_form_is_the_requesters_alone(hidden_from_reviewers, client_a):
    """The form is prefilled with every answer: a reviewer who may not see PHI is sent back to
    the (masked) request page instead."""
    approval = hidden_from_reviewers
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get(f"/requests/{approval.reference}/resubmit")
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{approval.reference}/"
    for value in _values(approval):
        assert value not in response.content.decode()
    client_a.logout()
    sign_in(client_a, "carol@alpha.test")
    response = client_a.get(f"/requests/{approval.reference}/resubmit")
    assert response.status_code == 200
    assert approval.data["patient_name"] in response.content.decode()


@pytest.mark.usefixtures("eager_celery")
@pytest.mark.parametrize(("visibility", "shown"), [("open", True), ("sensitive", False)])
def test_the_emailed_link_page_shows_the_amount_only_when_it_is_open(
    tenant_a, alice, carol, smtp_server, django_capture_on_commit_callbacks, visibility, shown
):
    from django.test import Client

    from apps.workflows.services import workflow_publish
    from tests.approvals.helpers import submit_capital
    from tests.notifications.helpers import action_token_in

    with tenant_context(tenant_a):
        spec = json.loads((LIBRARY / "capital-purchase.json").read_text())
        for field in spec["form"]["fields"]:
            if field["name"] == spec["amount_field"]:
                field["visibility"] = visibility
        workflow_publish(actor=alice, spec=spec, note=visibility)
        with django_capture_on_commit_callbacks(execute=True):
            submit_capital(carol)
    (message,) = smtp_server.to("bob@alpha.test")
    page = Client(HTTP_HOST="alpha.localhost").get(f"/a/{action_token_in(message)}")
    assert page.status_code == 200
    assert ('data-testid="link-amount"' in page.content.decode()) is shown


def test_the_case_summary_copies_only_open_answers(hidden_from_reviewers):
    from apps.assist.summary import case_summary

    text = json.dumps(case_summary(hidden_from_reviewers, {}))
    assert "Acme Health" in text  # open
    for value in [*_values(hidden_from_reviewers), "2031-05-17"]:  # phi and sensitive
        assert value not in text
    assert "answered (sensitive, see the request)" in text


@pytest.mark.usefixtures("eager_celery")
def test_the_emailed_link_page_shows_open_answers_and_never_phi_or_sensitive_ones(
    tenant_a, alice, carol, smtp_server, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from apps.approvals.discussion import attachment_add
    from apps.workflows.services import workflow_publish
    from tests.approvals.helpers import submit_capital
    from tests.notifications.helpers import action_token_in

    classes = {"vendor": "phi", "justification": "sensitive"}
    with tenant_context(tenant_a):
        spec = json.loads((LIBRARY / "capital-purchase.json").read_text())
        for field in spec["form"]["fields"]:
            field["visibility"] = classes.get(field["name"], "open")
        workflow_publish(actor=alice, spec=spec, note="classes")
        with django_capture_on_commit_callbacks(execute=True):
            request = submit_capital(carol)
            attachment_add(
                actor=carol,
                approval=request,
                upload=SimpleUploadedFile("jordan-quote.pdf", b"%PDF-1.4 q", "application/pdf"),
            )
    (message,) = smtp_server.to("bob@alpha.test")
    body = Client(HTTP_HOST="alpha.localhost").get(f"/a/{action_token_in(message)}").content
    page = body.decode()
    assert "CT scanner upgrade" in page  # open
    assert "4100-RAD" in page  # open
    assert "Acme Medical" not in page  # phi
    assert "past end of support" not in page  # sensitive
    assert "jordan-quote.pdf" not in page  # a file name can hold patient data


@pytest.mark.usefixtures("eager_celery")
def test_the_emailed_link_page_names_the_files_of_a_workflow_without_patient_data(
    tenant_a, carol, smtp_server, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from apps.approvals.discussion import attachment_add
    from tests.approvals.helpers import submit_capital
    from tests.notifications.helpers import action_token_in

    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        request = submit_capital(carol)
        attachment_add(
            actor=carol,
            approval=request,
            upload=SimpleUploadedFile("vendor-quote.pdf", b"%PDF-1.4 q", "application/pdf"),
        )
    (message,) = smtp_server.to("bob@alpha.test")
    page = Client(HTTP_HOST="alpha.localhost").get(f"/a/{action_token_in(message)}")
    assert 'data-testid="link-files">vendor-quote.pdf<' in page.content.decode()
