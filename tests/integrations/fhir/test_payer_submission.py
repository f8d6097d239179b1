"""Provider-side prior authorization: after internal review the request is submitted to the
payer (a fake PAS server on loopback that validates the Claim bundle with fhir.resources R4B),
and the payer's answer decides the payer step: approved, denied with reason, pended then
approved through `$inquire`, partially approved. Each ends the step, stops the clock and tells
the requester (over real SMTP, without PHI). Also: the payer down (retried, not lost, visible),
no payer set up, callbacks deciding through the same service, tenant isolation, admin pages."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.models import TimelineEntry
from apps.approvals.services import DecisionInput, request_withdraw, task_decide
from apps.audit.models import AuditEntry
from apps.core.errors import CountersignError
from apps.integrations import crypto
from apps.integrations.erp.services import callback_source_save
from apps.integrations.erp.signing import sign
from apps.integrations.payers.models import Payer, PayerSubmission
from apps.integrations.payers.services import (
    payer_save,
    submission_answer_apply,
    submission_deliver,
    submission_retry,
    submissions_resume,
)
from apps.notifications import services as notifications
from apps.notifications.models import EmailLog
from apps.sla.models import Clock
from tests.conftest import sign_in
from tests.integrations.fhir.conftest import PHI_VALUES, TOKEN
from tests.integrations.fhir.fake_payer import approve, deny, partial, pend
from tests.notifications.fixtures import text_of

pytestmark = pytest.mark.django_db


def submission_of(approval) -> PayerSubmission:
    return PayerSubmission.objects.get(request=approval)


def run_payer(approval, *, now=None) -> PayerSubmission:
    """What the delivery task does: send (or inquire), then apply the answer."""
    submission = submission_of(approval)
    delivery = submission_deliver(submission_id=submission.pk, now=now)
    if delivery.status == "answered":
        submission_answer_apply(submission_id=submission.pk, now=now)
    approval.refresh_from_db()
    return submission_of(approval)


def payer_task(approval):
    return approval.tasks.get(step_key="payer_decision")


def clocks_open(approval) -> list[str]:
    return list(
        Clock.objects.filter(request=approval)
        .exclude(status="stopped")
        .values_list("scope", flat=True)
    )


def requester_email(approval, smtp_server, kind: str) -> str:
    """Send the requester's email of `kind` over SMTP and return its text."""
    log = EmailLog.objects.get(request=approval, to="carol@alpha.test", kind=kind)
    notifications.email_deliver(email_log_id=log.pk)
    (message,) = [
        m for m in smtp_server.to("carol@alpha.test") if approval.reference in m["Subject"]
    ]
    text = text_of(message)
    for value in PHI_VALUES:
        assert value not in text
        assert value not in message["Subject"]
    return text


def timeline(approval, kind: str) -> list[str]:
    return list(
        TimelineEntry.objects.filter(request=approval, kind=kind).values_list("summary", flat=True)
    )


# --- the three answers ---------------------------------------------------------------------


def test_reaching_the_payer_step_queues_a_submission_nobody_else_can_decide(
    payer_config, at_payer, bob
):
    assert at_payer.status == "in_review"
    submission = submission_of(at_payer)
    assert (submission.status, submission.payer_name) == ("queued", "Acme Health")
    assert submission.idempotency_key == f"countersign:alpha:{at_payer.reference}:t2"
    task = payer_task(at_payer)
    assert (task.assignee, task.queue_role, task.status) == (None, None, "pending")
    with pytest.raises(CountersignError) as refused:
        task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    assert refused.value.http_status == 403
    assert "payer decides this step" in refused.value.message


def test_payer_approves_the_step_stops_the_clock_and_tells_the_requester(
    payer_config, at_payer, fake_payer, smtp_server
):
    assert "request" in clocks_open(at_payer)
    submission = run_payer(at_payer)
    assert at_payer.status == "approved"
    assert (submission.status, submission.outcome) == ("decided", "approved")
    assert submission.tracking_number == "AUTH-0001"
    assert payer_task(at_payer).status == "approved"
    assert clocks_open(at_payer) == []
    assert Clock.objects.filter(request=at_payer, scope="request", status="stopped").exists()
    # what the payer received: a valid PAS Claim bundle, our credential and idempotency key
    (call,) = fake_payer.calls_to("$submit")
    assert call.auth == TOKEN
    assert call.key == submission.idempotency_key
    (claim,) = [
        e["resource"] for e in call.bundle["entry"] if e["resource"]["resourceType"] == "Claim"
    ]
    assert claim["use"] == "preauthorization"
    codes = [i["productOrService"]["coding"][0]["code"] for i in claim["item"]]
    assert codes == ["72148", "72158"]
    coverage = next(
        e["resource"] for e in call.bundle["entry"] if e["resource"]["resourceType"] == "Coverage"
    )
    assert coverage["subscriberId"] == "XZA123456789"
    # decided as the payer, through the payer channel, with the audit entry from the service
    assert "The payer approved (Payer decision)." in timeline(at_payer, "payer_decision")
    assert AuditEntry.objects.filter(
        request_reference=at_payer.reference, actor_email="system:payer", channel="payer"
    ).exists()
    text = requester_email(at_payer, smtp_server, "payer_approved")
    assert "The payer approved the prior authorization" in text


def test_payer_denial_records_the_reason_on_the_request_and_email_carries_no_phi(
    payer_config, at_payer, fake_payer, smtp_server, client_a
):
    reason = "Conservative therapy of 6 weeks is not documented for Jordan Example."
    fake_payer.answer_with(deny("NMN-01", reason))
    submission = run_payer(at_payer)
    assert at_payer.status == "denied"
    assert (submission.outcome, submission.reason_code, submission.reason_text) == (
        "denied",
        "NMN-01",
        reason,
    )
    (task_state,) = [t for t in at_payer.engine_state["tasks"] if t["key"] == "t2"]
    assert (task_state["decided_by"], task_state["reason_code"], task_state["comment"]) == (
        "payer",
        "NMN-01",
        reason,
    )
    assert clocks_open(at_payer) == []
    text = requester_email(at_payer, smtp_server, "payer_denied")
    assert "The payer denied the prior authorization" in text
    assert "payer's reason" in text
    assert reason not in text
    assert "NMN-01" not in text
    # the requester reads the payer's reason on the request
    sign_in(client_a, "carol@alpha.test")
    page = client_a.get(f"/requests/{at_payer.reference}/").content.decode()
    assert 'data-testid="payer-panel"' in page
    assert "NMN-01" in page
    assert "Conservative therapy of 6 weeks is not documented" in page


def test_pended_then_approved_through_inquiry(payer_config, at_payer, fake_payer, smtp_server):
    fake_payer.answer_with(pend("TRK-5521"), pend("TRK-5521"), approve("AUTH-77"))
    submission = run_payer(at_payer)
    assert at_payer.status == "in_review"
    assert (submission.status, submission.tracking_number) == ("pended", "TRK-5521")
    assert payer_task(at_payer).status == "pending"
    assert "request" in clocks_open(at_payer)
    (note,) = timeline(at_payer, "payer_pended")
    assert "tracking number TRK-5521" in note
    text = requester_email(at_payer, smtp_server, "payer_pended")
    assert "The payer pended the prior authorization" in text
    assert "TRK-5521" not in text
    # not due yet: the sweep leaves it alone
    assert submissions_resume() == []
    later = timezone.now() + timedelta(minutes=31)
    with time_machine.travel(later):
        assert submissions_resume() == [submission.pk]
        submission = run_payer(at_payer)  # still pended: no second timeline note
        assert submission.status == "pended"
        assert len(timeline(at_payer, "payer_pended")) == 1
        assert EmailLog.objects.filter(request=at_payer, kind="payer_pended").count() == 1
    with time_machine.travel(later + timedelta(minutes=31)):
        submission = run_payer(at_payer)
    assert at_payer.status == "approved"
    assert (submission.status, submission.tracking_number) == ("decided", "AUTH-77")
    inquiries = fake_payer.calls_to("$inquire")
    assert len(inquiries) == 2
    assert submission.inquiries == 2
    assert all(c.claim_identifier == submission.claim_identifier for c in inquiries)
    assert len({c.key for c in inquiries}) == 2  # each inquiry is its own question
    assert clocks_open(at_payer) == []
    log = EmailLog.objects.get(request=at_payer, to="carol@alpha.test", kind="payer_approved")
    notifications.email_deliver(email_log_id=log.pk)
    assert any(m["Subject"].startswith("Approved by the payer") for m in smtp_server.messages)


def test_partial_approval_is_recorded_item_by_item(payer_config, at_payer, fake_payer):
    fake_payer.answer_with(partial({1: "A1", 2: "A3"}, "NC-12", "Second study not covered."))
    submission = run_payer(at_payer)
    assert at_payer.status == "partially_approved"
    assert [(i["sequence"], i["outcome"], i["code"]) for i in submission.items] == [
        (1, "approved", "72148"),
        (2, "denied", "72158"),
    ]
    assert submission.reason_code == "NC-12"
    (line,) = timeline(at_payer, "payer_items")
    assert line == "Payer, item by item: approved: item 1; denied: item 2."
    assert "72158" not in line  # codes stay off the timeline
    assert EmailLog.objects.filter(
        request=at_payer, to="carol@alpha.test", kind="payer_partially_approved"
    ).exists()


# --- failures --------------------------------------------------------------------------------


def test_payer_down_is_retried_visible_and_not_lost(payer_config, at_payer, fake_payer, client_a):
    fake_payer.fail_next(1)
    submission = run_payer(at_payer)
    assert (submission.status, submission.attempts) == ("retrying", 1)
    assert submission.last_error == "The payer answered HTTP 503."
    assert submission.next_attempt_at is not None
    assert "the payer is unavailable, will retry" in timeline(at_payer, "payer_submission")[-1]
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/payers/").content.decode()
    assert "The payer answered HTTP 503." in page
    with time_machine.travel(submission.next_attempt_at + timedelta(seconds=1)):
        assert submissions_resume() == [submission.pk]
        submission = run_payer(at_payer)
    assert at_payer.status == "approved"
    keys = {c.key for c in fake_payer.calls_to("$submit")}
    assert keys == {submission.idempotency_key}  # the same claim, sent again: not a second one


def test_payer_unreachable_gives_up_after_max_attempts_and_an_admin_sends_again(
    payer_config, at_payer, closed_port_url, fake_payer, alice
):
    Payer.objects.filter(pk=payer_config.pk).update(base_url=closed_port_url)
    for _ in range(3):
        submission = run_payer(at_payer)
    assert (submission.status, submission.attempts) == ("failed", 3)
    assert submission.last_error.startswith("The payer could not be reached")
    assert at_payer.status == "in_review"  # nothing decided without the payer
    Payer.objects.filter(pk=payer_config.pk).update(base_url=fake_payer.url)
    submission_retry(actor=alice, submission=submission)
    assert submission_of(at_payer).status == "queued"
    run_payer(at_payer)
    assert at_payer.status == "approved"


def test_no_payer_set_up_fails_visibly_until_an_admin_adds_it(
    in_tenant_a, at_payer, alice, fake_payer
):
    submission = run_payer(at_payer)
    assert submission.status == "failed"
    assert "No active payer named “Acme Health” is set up" in submission.last_error
    payer_save(actor=alice, name="acme health", base_url=fake_payer.url, credential=TOKEN)
    submission_retry(actor=alice, submission=submission)
    run_payer(at_payer)
    assert at_payer.status == "approved"


def test_withdrawing_stops_the_submission(payer_config, at_payer, carol, fake_payer):
    request_withdraw(actor=carol, approval=at_payer)
    assert submission_of(at_payer).status == "cancelled"
    run_payer(at_payer)
    assert fake_payer.calls == []


# --- the callback decides through the same service ------------------------------------------


def callback(client, body: dict, secret: str):
    raw = json.dumps(body).encode()
    header = sign(secret, raw, int(time.time()))
    return client.post(
        "/integrations/callbacks/acme-payer",
        raw,
        content_type="application/json",
        HTTP_COUNTERSIGN_SIGNATURE=header,
    )


def test_prior_auth_decision_callback_decides_the_payer_step(payer_config, at_payer, client_a):
    secret = "payer-secret-alpha-0123456789"
    callback_source_save(
        actor=None, slug="acme-payer", name="Acme Health", kind="payer", secret=secret
    )
    body = {
        "id": "evt-77",
        "type": "prior_auth.decision",
        "reference": at_payer.reference,
        "status": "denied",
        "external_reference": "AUTH-DEN-1",
        "reason_code": "NMN-02",
        "reason": "Not medically necessary.",
    }
    response = callback(client_a, body, secret)
    assert response.status_code == 200, response.content
    at_payer.refresh_from_db()
    assert at_payer.status == "denied"
    submission = submission_of(at_payer)
    assert (submission.status, submission.reason_code, submission.tracking_number) == (
        "decided",
        "NMN-02",
        "AUTH-DEN-1",
    )
    assert clocks_open(at_payer) == []
    assert EmailLog.objects.filter(
        request=at_payer, to="carol@alpha.test", kind="payer_denied"
    ).exists()
    assert callback(client_a, body, secret).json()["status"] == "duplicate"


# --- configuration: admins only, per tenant, encrypted --------------------------------------


def test_admin_adds_a_payer_with_an_encrypted_credential(in_tenant_a, client_a):
    sign_in(client_a, "alice@alpha.test")
    form = {
        "name": "Blue Valley Health Plan",
        "base_url": "https://pas.bluevalley.example/fhir",
        "auth_header": "Authorization",
        "credential": "Bearer very-secret-value",
        "timeout_seconds": 15,
        "max_attempts": 6,
        "inquiry_interval_minutes": 60,
    }
    response = client_a.post("/admin/payers/", form)
    assert response.status_code == 302
    payer = Payer.objects.get(name="Blue Valley Health Plan")
    assert "very-secret-value" not in payer.credential_encrypted
    assert crypto.decrypt(payer.credential_encrypted) == "Bearer very-secret-value"
    page = client_a.get("/admin/payers/").content.decode()
    assert "Blue Valley Health Plan" in page
    assert "very-secret-value" not in page
    assert "stored (encrypted)" in page
    again = client_a.post("/admin/payers/", {**form, "name": "blue valley health plan"})
    assert again.status_code == 400
    assert "already exists" in again.content.decode()
    bad = client_a.post("/admin/payers/", {**form, "name": "X", "inquiry_interval_minutes": 1})
    assert bad.status_code == 400
    assert "Between 5 minutes and 7 days." in bad.content.decode()
    edit = client_a.post(f"/admin/payers/{payer.pk}/", {**form, "credential": ""})
    assert edit.status_code == 302
    payer.refresh_from_db()
    assert payer.credential == "Bearer very-secret-value"  # blank keeps the stored one
    # audited as alice, without the credential in the change record
    from auditlog.models import LogEntry

    entries = LogEntry.objects.filter(content_type__model="payer", object_pk=str(payer.pk))
    assert entries.exists()
    assert all("credential_encrypted" not in (e.changes or {}) for e in entries)
    assert AuditEntry.objects.filter(
        action="payers.payer.create", actor_email="alice@alpha.test"
    ).exists()


@pytest.mark.parametrize("email", ["bob@alpha.test", "carol@alpha.test", "olivia@alpha.test"])
def test_non_admins_are_refused_the_payer_pages(payer_config, client_a, email):
    sign_in(client_a, email)
    assert client_a.get("/admin/payers/").status_code == 403
    assert client_a.get(f"/admin/payers/{payer_config.pk}/").status_code == 403
    created = client_a.post("/admin/payers/", {"name": "Sneaky", "base_url": "https://x.example"})
    assert created.status_code == 403
    assert not Payer.objects.filter(name="Sneaky").exists()
    from apps.accounts.models import User

    with pytest.raises(CountersignError) as refused:
        payer_save(actor=User.objects.get(email=email), name="X", base_url="https://x.example")
    assert refused.value.http_status == 403


def test_bravo_cannot_see_alphas_payers(payer_config, tenant_b, client_b):
    from apps.accounts.models import User

    alpha_pk = payer_config.pk
    with tenant_context(tenant_b):
        assert not Payer.objects.exists()
        User.objects.filter(email="dave@bravo.test").update(is_tenant_admin=True)
    sign_in(client_b, "dave@bravo.test")
    page = client_b.get("/admin/payers/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "No payers yet." in body
    assert payer_config.base_url not in body
    assert client_b.get(f"/admin/payers/{alpha_pk}/").status_code == 404
    # and alice's session does not work on bravo's host
    client_b.logout()
    sign_in(client_b, "alice@alpha.test")
    assert client_b.get("/admin/payers/").status_code in (302, 403)
