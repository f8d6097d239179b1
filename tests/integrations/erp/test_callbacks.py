"""Signed inbound callbacks: payer decisions and ERP statuses, recorded once on the timeline."""

import json
import time

import pytest

from apps.approvals.models import TimelineEntry
from apps.integrations.erp.models import InboundCallback
from apps.integrations.erp.services import callback_source_save
from apps.integrations.erp.signing import sign
from tests.approvals.helpers import submit_capital

pytestmark = pytest.mark.django_db

PAYER_SECRET = "payer-secret-alpha-0123456789"
BRAVO_SECRET = "payer-secret-bravo-9876543210"
URL = "/integrations/callbacks/acme-payer"


@pytest.fixture
def payer(in_tenant_a):
    return callback_source_save(
        actor=None, slug="acme-payer", name="Acme Health", kind="payer", secret=PAYER_SECRET
    )


@pytest.fixture
def request_a(in_tenant_a, carol):
    return submit_capital(carol, "9000")


def post(client, body: dict | bytes, secret: str, *, url: str = URL, at: int | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = sign(secret, raw, at if at is not None else int(time.time()))
    return client.post(url, raw, content_type="application/json", HTTP_COUNTERSIGN_SIGNATURE=header)


def decision(reference: str, event_id: str = "evt_001", status: str = "approved") -> dict:
    return {
        "id": event_id,
        "type": "prior_auth.decision",
        "reference": reference,
        "status": status,
        "external_reference": "AUTH-77",
    }


def payer_entries(request):
    return list(
        TimelineEntry.objects.filter(request=request, kind="payer_decision").values_list(
            "summary", flat=True
        )
    )


def test_valid_callback_is_recorded_once(payer, request_a, client_a):
    response = post(client_a, decision(request_a.reference), PAYER_SECRET)
    assert response.status_code == 200
    assert response.json()["status"] == "recorded"
    assert payer_entries(request_a) == ["Payer decision from Acme Health: approved (ref AUTH-77)."]
    (callback,) = InboundCallback.objects.filter(request=request_a)
    assert callback.event_id == "evt_001"


def test_replay_is_acknowledged_without_a_second_effect(payer, request_a, client_a):
    body = decision(request_a.reference)
    assert post(client_a, body, PAYER_SECRET).json()["status"] == "recorded"
    replay = post(client_a, body, PAYER_SECRET)
    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate"
    assert len(payer_entries(request_a)) == 1
    assert InboundCallback.objects.get(event_id="evt_001").replays == 1


def test_bad_signature_is_401(payer, request_a, client_a):
    response = post(client_a, decision(request_a.reference), "not-the-secret-at-all-123")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert payer_entries(request_a) == []


def test_missing_and_stale_signatures_are_401(payer, request_a, client_a):
    raw = json.dumps(decision(request_a.reference)).encode()
    missing = client_a.post(URL, raw, content_type="application/json")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_signature"
    stale = post(client_a, raw, PAYER_SECRET, at=int(time.time()) - 301)
    assert stale.status_code == 401
    assert stale.json()["error"]["code"] == "stale_signature"


def test_tampered_body_is_401(payer, request_a, client_a):
    raw = json.dumps(decision(request_a.reference)).encode()
    header = sign(PAYER_SECRET, raw, int(time.time()))
    tampered = raw.replace(b"approved", b"denied")
    response = client_a.post(
        URL, tampered, content_type="application/json", HTTP_COUNTERSIGN_SIGNATURE=header
    )
    assert response.status_code == 401


def test_unknown_reference_is_404(payer, client_a):
    response = post(client_a, decision("PA-2099-999999"), PAYER_SECRET)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_reference"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        ({"type": "prior_auth.decision", "reference": "X", "status": "approved"}, "'id'"),
        (
            {"id": "e1", "type": "requisition.status", "reference": "X", "status": "approved"},
            "'type'",
        ),
        (
            {"id": "e1", "type": "prior_auth.decision", "reference": "X", "status": "maybe"},
            "'status'",
        ),
    ],
)
def test_malformed_body_is_400(payer, client_a, body, message):
    response = post(client_a, body, PAYER_SECRET)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed"
    assert message in response.json()["error"]["message"]


def test_unknown_source_is_404(in_tenant_a, request_a, client_a):
    response = post(client_a, decision(request_a.reference), PAYER_SECRET, url=URL + "-x")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_source"


def test_get_is_not_allowed(payer, client_a):
    assert client_a.get(URL).status_code == 405


def test_tenant_b_cannot_post_into_tenant_a(payer, request_a, tenant_b, client_a, client_b):
    from django_tenants.utils import tenant_context

    with tenant_context(tenant_b):
        callback_source_save(
            actor=None, slug="acme-payer", name="Acme (B)", kind="payer", secret=BRAVO_SECRET
        )
    # B's secret on A's host: the signature does not verify.
    assert post(client_a, decision(request_a.reference), BRAVO_SECRET).status_code == 401
    # B's host with B's valid secret and A's reference: no such request in B.
    response = post(client_b, decision(request_a.reference, "evt_b"), BRAVO_SECRET)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_reference"
    assert payer_entries(request_a) == []


def test_erp_status_updates_the_requisition(in_tenant_a, request_a, client_a):
    callback_source_save(
        actor=None, slug="erp", name="Test ERP", kind="erp", secret="erp-callback-secret-1234"
    )
    body = {
        "id": "erp-evt-1",
        "type": "requisition.status",
        "reference": request_a.reference,
        "status": "approved",
        "external_reference": "REQ-000001",
    }
    response = post(client_a, body, "erp-callback-secret-1234", url="/integrations/callbacks/erp")
    assert response.status_code == 200
    assert TimelineEntry.objects.filter(
        request=request_a, kind="erp_status", summary__contains="requisition approved"
    ).exists()


def test_secret_is_encrypted_at_rest(payer):
    assert PAYER_SECRET not in payer.secret_encrypted
    assert payer.secret == PAYER_SECRET
