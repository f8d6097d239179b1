"""Partner API: bearer keys (hashed, revocable), scoping to the key's partner, error shape."""

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.tenants.api_keys import partner_api_key_create, partner_api_key_revoke
from apps.tenants.models import Partner, PartnerApiKey, Tenant


def _key(partner_slug: str, email: str) -> str:
    user = User.objects.get(email=email)
    _, raw = partner_api_key_create(
        actor=user, partner=Partner.objects.get(slug=partner_slug), name="ci"
    )
    return raw


def api(raw: str | None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
    return Client(HTTP_HOST="localhost", **headers)


@pytest.fixture
def p_key(db):
    return _key("partner-p", "paula@partner-p.test")


@pytest.fixture
def q_key(db):
    return _key("partner-q", "quinn@partner-q.test")


def test_key_is_stored_hashed_and_shown_once(p_key):
    stored = PartnerApiKey.objects.get(partner__slug="partner-p")
    assert p_key.startswith("csp_")
    assert p_key not in (stored.hashed_key, stored.prefix)
    assert len(stored.hashed_key) == 64


def test_list_shows_only_own_tenants(p_key, q_key):
    mine = api(p_key).get("/api/partner/v1/tenants/").json()["results"]
    assert {t["slug"] for t in mine} >= {"alpha", "bravo"}  # browser tests commit more
    assert api(q_key).get("/api/partner/v1/tenants/").json() == {"results": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/partner/v1/tenants/alpha/"),
        ("patch", "/api/partner/v1/tenants/alpha/"),
        ("post", "/api/partner/v1/tenants/alpha/suspend/"),
        ("post", "/api/partner/v1/tenants/alpha/reactivate/"),
    ],
)
def test_another_partners_key_gets_404(q_key, method, path):
    response = getattr(api(q_key), method)(
        path, {"branding": {"primary_colour": "#000000"}}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Tenant.objects.get(slug="alpha").status == "active"


@pytest.mark.parametrize("raw", [None, "csp_nope_nope", "not-a-key"])
def test_missing_or_bad_key_is_401_with_error_shape(db, raw):
    response = api(raw).get("/api/partner/v1/tenants/")
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["code"] == "not_authenticated"
    assert body["fields"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_stops_working(p_key):
    key = PartnerApiKey.objects.get(partner__slug="partner-p")
    partner_api_key_revoke(actor=User.objects.get(email="paula@partner-p.test"), key=key)
    assert api(p_key).get("/api/partner/v1/tenants/").status_code == 401


def test_console_session_does_not_open_the_api(db):
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="paula@partner-p.test"))
    assert client.get("/api/partner/v1/tenants/").status_code == 401


def test_tenant_key_of_partner_p_does_not_work_on_tenant_host(p_key):
    response = Client(HTTP_HOST="alpha.localhost", HTTP_AUTHORIZATION=f"Bearer {p_key}").get(
        "/api/partner/v1/tenants/"
    )
    assert response.status_code == 404


def test_create_tenant_read_update_branding_suspend(p_key, django_capture_on_commit_callbacks):
    client = api(p_key)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/partner/v1/tenants/",
            {
                "slug": "hotel-health",
                "name": "Hotel Health",
                "branding": {"primary_colour": "#7c2d12", "support_email": "it@hotel.test"},
                "admin_email": "hana@hotel.test",
                "template_packs": ["capital-purchase"],
                "time_zone": "America/Denver",
            },
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["primary_domain"] == "hotel-health.localhost"
    assert body["time_zone"] == "America/Denver"
    # Its health row is there from the start (the console shows no blank columns).
    health = {row["tenant"]: row for row in client.get("/api/partner/v1/health/").json()["results"]}
    assert health["hotel-health"]["open_requests"] == 0
    assert body["branding"]["primary_colour"] == "#7c2d12"
    patched = client.patch(
        "/api/partner/v1/tenants/hotel-health/",
        {"branding": {"accent_colour": "#14532d", "login_message": "Welcome"}},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["branding"]["accent_colour"] == "#14532d"
    suspended = client.post("/api/partner/v1/tenants/hotel-health/suspend/", {"reason": "test"})
    assert suspended.json()["status"] == "suspended"


def test_create_with_bad_fields_returns_field_errors(p_key):
    response = api(p_key).post(
        "/api/partner/v1/tenants/",
        {"slug": "www", "name": "X", "branding": {"primary_colour": "red"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "slug" in error["fields"] or "primary_colour" in error["fields"]
    assert not Tenant.objects.filter(slug="www").exists()


def test_create_with_an_unknown_time_zone_is_refused_naming_it(p_key):
    response = api(p_key).post(
        "/api/partner/v1/tenants/",
        {"slug": "zone-health", "name": "Zone Health", "time_zone": "Mars/Olympus"},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "Mars/Olympus" in error["fields"]["time_zone"][0]
    assert not Tenant.objects.filter(slug="zone-health").exists()


def test_packs_and_health(p_key, q_key):
    from apps.tenants.health import tenant_health_refresh_all

    tenant_health_refresh_all()
    packs = api(p_key).get("/api/partner/v1/template-packs/").json()["results"]
    assert packs[0]["key"] == "healthcare-core"
    assert "prior-auth-imaging" in packs[0]["templates"]
    health = api(p_key).get("/api/partner/v1/health/").json()["results"]
    assert {row["tenant"] for row in health} >= {"alpha", "bravo"}
    assert api(q_key).get("/api/partner/v1/health/").json() == {"results": []}
