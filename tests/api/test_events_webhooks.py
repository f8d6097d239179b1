"""The event feed and webhook subscriptions through the API (apps.integrations services)."""

from tests.api.conftest import error_of
from tests.approvals.helpers import capital_data


def _whole_feed(client) -> tuple[list[dict], str | None]:
    """The caller's whole feed, page by page (the test database may hold more events than one
    page, from tests that commit), and the cursor after its last event."""
    events: list[dict] = []
    cursor = None
    while True:
        page = client.get(
            "/api/v1/events", {"limit": 500, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.content
        body = page.json()
        if not body["events"]:
            return events, cursor
        assert body["next_cursor"] == body["events"][-1]["id"]
        events += body["events"]
        cursor = body["next_cursor"]


def test_the_event_feed_moves_with_a_cursor_and_hides_other_peoples_requests(
    api, alice, carol, olivia
):
    carol_api = api(carol)
    made = carol_api.post(
        "/api/v1/requests", {"workflow": "capital-purchase", "data": capital_data()}
    ).json()
    admin = api(alice)
    events, cursor = _whole_feed(admin)
    mine = [e for e in events if e["request_id"] == made["id"]]
    assert "request.submitted" in {e["type"] for e in mine}
    assert events[-1]["request_id"] == made["id"]  # the newest event is last
    after = admin.get("/api/v1/events", {"cursor": cursor}).json()
    assert after["events"] == []
    assert after["next_cursor"] == cursor
    assert made["id"] in {e["request_id"] for e in _whole_feed(carol_api)[0]}
    assert made["id"] not in {e["request_id"] for e in _whole_feed(api(olivia))[0]}
    bad = admin.get("/api/v1/events", {"cursor": "01972d6a-8c1e-7a43-9f0e-5b8d2c7e1a44"})
    assert bad.status_code == 400
    assert "cursor" in error_of(bad)["fields"]


def test_webhook_subscriptions_crud_deliveries_and_replay(api, alice, carol):
    admin = api(alice)
    created = admin.post(
        "/api/v1/webhooks",
        {"url": "https://erp.example.org/hooks", "events": ["request.*"], "description": "ERP"},
    )
    assert created.status_code == 201, created.content
    endpoint = created.json()
    assert endpoint["secret"]
    assert endpoint["events"] == ["request.*"]
    listed = admin.get("/api/v1/webhooks").json()["results"]
    assert endpoint["id"] in [e["id"] for e in listed]
    assert "secret" not in listed[0]
    updated = admin.client.patch(
        f"/api/v1/webhooks/{endpoint['id']}",
        '{"is_active": false}',
        content_type="application/json",
        headers=admin.headers(),
    )
    assert updated.status_code == 200
    assert updated.json()["is_active"] is False
    invalid = admin.post("/api/v1/webhooks", {"url": "ftp://x", "events": ["*"]})
    assert invalid.status_code == 400
    assert "url" in error_of(invalid)["fields"]
    deliveries = admin.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries")
    assert deliveries.status_code == 200
    missing = admin.post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/00000000-0000-0000-0000-000000000001/replay"
    )
    assert missing.status_code == 404
    # outsiders: a non-admin's key has no admin scope, and cannot get one
    assert api(carol).get(f"/api/v1/webhooks/{endpoint['id']}").status_code == 403
    assert admin.delete(f"/api/v1/webhooks/{endpoint['id']}").status_code == 204
    assert admin.get(f"/api/v1/webhooks/{endpoint['id']}").status_code == 404


def test_a_delivery_is_replayed(api, alice, carol, tenant_a):
    from django_tenants.utils import tenant_context

    from apps.integrations.models import WebhookDelivery

    admin = api(alice)
    endpoint = admin.post(
        "/api/v1/webhooks", {"url": "https://erp.example.org/hooks", "events": ["*"]}
    ).json()
    api(carol).post("/api/v1/requests", {"workflow": "capital-purchase", "data": capital_data()})
    with tenant_context(tenant_a):
        from apps.integrations.models import OutboxEvent
        from apps.integrations.outbox import dispatch_events

        dispatch_events(
            OutboxEvent.objects.filter(dispatched_at__isnull=True).values_list("id", flat=True)
        )
        delivery = WebhookDelivery.objects.filter(endpoint_id=endpoint["id"]).first()
    assert delivery is not None
    listed = admin.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json()["results"]
    assert str(delivery.pk) in [d["id"] for d in listed]
    replay = admin.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery.pk}/replay")
    assert replay.status_code == 201, replay.content
    assert replay.json()["replay_of"] == str(delivery.pk)


def test_api_keys_through_the_api(api, alice, carol):
    admin = api(alice)
    made = admin.post(
        "/api/v1/api-keys",
        {"name": "Reporting", "scopes": ["requests:read"], "owner": "carol@alpha.test"},
    )
    assert made.status_code == 201
    assert made.json()["key"].startswith("cs_live_")
    listed = admin.get("/api/v1/api-keys").json()["results"]
    assert "key" not in listed[0]
    assert admin.delete(f"/api/v1/api-keys/{made.json()['id']}").status_code == 204
    again = admin.delete(f"/api/v1/api-keys/{made.json()['id']}")
    assert again.status_code == 409
    assert error_of(again)["current"]["revoked_at"]
