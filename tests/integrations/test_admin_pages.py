"""Webhook admin pages: the tenant admin uses them; a colleague, another tenant's session and
an anonymous visitor are refused. Services refuse non-admin actors too."""

from collections.abc import Callable

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core.errors import NotAllowed
from apps.integrations.models import DeliveryState, OutboxEvent, WebhookDelivery, WebhookEndpoint
from apps.integrations.webhooks import selectors, services
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def webhook_urls(settings):
    # config/urls_tenant.py gets the include from the lead; until then the tests add it.
    settings.ROOT_URLCONF = "tests.integrations.urls"
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture
def hook(tenant_a, alice):
    with tenant_context(tenant_a):
        endpoint, _ = services.webhook_endpoint_create(
            actor=alice, url="https://hooks.example.org/in", events=["request.*"]
        )
        event = OutboxEvent.objects.create(type="request.approved", request_reference="CAP-1")
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, state=DeliveryState.DEAD, attempts=8,
            last_status_code=503, last_error="HTTP 503", completed_at=timezone.now(),
        )  # fmt: skip
    return endpoint, delivery


Endpoint = tuple[str, str, dict | None]
PAGES: dict[str, Callable[[WebhookEndpoint, WebhookDelivery], Endpoint]] = {
    "list": lambda e, d: ("GET", "/admin/webhooks/", None),
    "create": lambda e, d: (
        "POST",
        "/admin/webhooks/",
        {"url": "https://erp.example.org/hooks", "events": "request.* task.decided"},
    ),
    "detail": lambda e, d: ("GET", f"/admin/webhooks/{e.pk}/", None),
    "deactivate": lambda e, d: ("POST", f"/admin/webhooks/{e.pk}/active/", {"active": "0"}),
    "new-secret": lambda e, d: ("POST", f"/admin/webhooks/{e.pk}/secret/", {}),
    "delete": lambda e, d: ("POST", f"/admin/webhooks/{e.pk}/delete/", {}),
    "replay": lambda e, d: ("POST", f"/admin/webhooks/deliveries/{d.pk}/replay/", {}),
}


def call(client, page: Endpoint):
    method, url, data = page
    return client.get(url) if method == "GET" else client.post(url, data)


@pytest.mark.parametrize("name", PAGES)
def test_tenant_admin_uses_every_page(name, hook, client_a):
    assert sign_in(client_a, "alice@alpha.test").status_code == 302
    response = call(client_a, PAGES[name](*hook))
    assert response.status_code in {200, 302}


@pytest.mark.parametrize("name", PAGES)
def test_colleague_without_admin_rights_is_forbidden(name, hook, client_a):
    assert sign_in(client_a, "bob@alpha.test").status_code == 302
    assert call(client_a, PAGES[name](*hook)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_login(name, hook, client_a):
    response = call(client_a, PAGES[name](*hook))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", PAGES)
def test_other_tenant_session_is_not_valid_here(name, hook, client_a, client_b, dave):
    assert sign_in(client_b, "dave@bravo.test").status_code == 302
    client_a.cookies = client_b.cookies  # replay B's session cookie against A's host
    response = call(client_a, PAGES[name](*hook))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_create_shows_the_secret_once_and_lists_the_endpoint(client_a, tenant_a):
    assert sign_in(client_a, "alice@alpha.test").status_code == 302
    response = client_a.post(
        "/admin/webhooks/",
        {"url": "https://erp.example.org/hooks", "events": "request.*, task.decided",
         "description": "ERP"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    with tenant_context(tenant_a):
        endpoint = WebhookEndpoint.objects.get(url="https://erp.example.org/hooks")
        assert endpoint.events == ["request.*", "task.decided"]
        assert endpoint.secret == secret
    listing = client_a.get("/admin/webhooks/").content.decode()
    assert "https://erp.example.org/hooks" in listing
    assert secret not in listing
    assert secret not in client_a.get(f"/admin/webhooks/{endpoint.pk}/").content.decode()


def test_invalid_and_private_urls_are_refused_on_the_form(client_a, tenant_a):
    assert sign_in(client_a, "alice@alpha.test").status_code == 302
    for url in ("ftp://example.org/x", "http://127.0.0.1:8000/x", "http://10.0.0.5/x",
                "http://alpha.localhost/x", "https://user:pw@example.org/x"):  # fmt: skip
        response = client_a.post("/admin/webhooks/", {"url": url, "events": "request.*"})
        assert response.status_code == 400, url
    response = client_a.post("/admin/webhooks/", {"url": "https://x.example.org", "events": "x*"})
    assert response.status_code == 400
    with tenant_context(tenant_a):
        assert not WebhookEndpoint.objects.filter(url__contains="x.example.org").exists()


def test_deliveries_page_shows_status_and_replay_queues_a_fresh_delivery(hook, client_a, tenant_a):
    endpoint, delivery = hook
    assert sign_in(client_a, "alice@alpha.test").status_code == 302
    page = client_a.get(f"/admin/webhooks/{endpoint.pk}/").content.decode()
    assert "request.approved" in page
    assert "HTTP 503" in page
    assert "Replay" in page
    response = client_a.post(f"/admin/webhooks/deliveries/{delivery.pk}/replay/", follow=True)
    assert response.status_code == 200
    with tenant_context(tenant_a):
        replay = WebhookDelivery.objects.get(replay_of=delivery)
        assert replay.state == DeliveryState.PENDING


def test_deactivate_then_activate(hook, client_a, tenant_a):
    endpoint, _ = hook
    assert sign_in(client_a, "alice@alpha.test").status_code == 302
    client_a.post(f"/admin/webhooks/{endpoint.pk}/active/", {"active": "0"})
    with tenant_context(tenant_a):
        assert not WebhookEndpoint.objects.get(pk=endpoint.pk).is_active
    client_a.post(f"/admin/webhooks/{endpoint.pk}/active/", {"active": "1"})
    with tenant_context(tenant_a):
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active


def test_services_refuse_non_admin_actors(hook, tenant_a, bob, olivia):
    endpoint, delivery = hook
    with tenant_context(tenant_a):
        for actor in (bob, olivia):
            with pytest.raises(NotAllowed):
                services.webhook_endpoint_create(
                    actor=actor, url="https://e.example.org", events="*"
                )
            with pytest.raises(NotAllowed):
                services.webhook_endpoint_update(actor=actor, endpoint=endpoint, is_active=False)
            with pytest.raises(NotAllowed):
                services.webhook_endpoint_delete(actor=actor, endpoint=endpoint)
            with pytest.raises(NotAllowed):
                services.webhook_delivery_replay(actor=actor, delivery=delivery)
            with pytest.raises(NotAllowed):
                services.webhook_endpoint_rotate_secret(actor=actor, endpoint=endpoint)
            assert not selectors.webhook_endpoints_for(actor).exists()
            assert not selectors.webhook_deliveries_for(actor).exists()
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active


def test_other_tenant_cannot_see_tenant_a_endpoints(hook, tenant_b, dave):
    with tenant_context(tenant_b):
        dave.is_tenant_admin = True  # even an admin of B sees only B's schema
        assert (
            not selectors.webhook_endpoints_for(dave).filter(url__contains="example.org").exists()
        )
