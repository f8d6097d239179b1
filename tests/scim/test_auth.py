"""Who may call /scim/v2/: only an active SCIM token of the host's tenant, within its scopes.
Another tenant's token, a revoked token and a same-tenant API key all get a SCIM 401."""

import re

from django_tenants.utils import tenant_context

from apps.scim.models import ScimToken
from tests.api.conftest import key_for
from tests.conftest import host_of, sign_in
from tests.scim.conftest import ScimClient, audit_entries, scim_error_of, token_for, user_body

DISCOVERY = ("ServiceProviderConfig", "ResourceTypes", "ResourceTypes/User", "Schemas")


def test_no_token_or_a_made_up_one_is_401(tenant_a):
    for token in (None, "scim_0123456789ab_madeup", "garbage"):
        client = ScimClient(host_of("alpha"), token)
        for path in ("Users", "Groups", *DISCOVERY):
            response = client.get(path)
            scim_error_of(response, 401)
            assert response["WWW-Authenticate"] == 'Bearer realm="scim"'


def test_a_token_of_tenant_a_gets_401_on_tenant_bs_host(scim, tenant_b):
    other = ScimClient(host_of("bravo"), scim.token)
    scim_error_of(other.get("Users"), 401)
    scim_error_of(other.post("Users", user_body("mallory@bravo.test")), 401)
    scim_error_of(other.get("ServiceProviderConfig"), 401)
    assert scim.get("Users").status_code == 200  # and it works at home


def test_a_same_tenant_api_key_is_refused(tenant_a, alice):
    key = key_for(tenant_a, alice)  # an admin key with every scope
    client = ScimClient(host_of("alpha"), key)
    scim_error_of(client.get("Users"), 401)
    scim_error_of(client.post("Users", user_body("mia@alpha.test")), 401)


def test_a_scim_token_is_not_an_api_key(scim):
    response = scim.client.get("/api/v1/me", headers=scim._headers())
    assert response.status_code == 401


def test_a_revoked_token_is_401(client_a, tenant_a, alice):
    text = token_for(tenant_a, alice, name="Okta")
    client = ScimClient(host_of("alpha"), text)
    assert client.get("Users").status_code == 200
    sign_in(client_a, "alice@alpha.test")
    with tenant_context(tenant_a):
        token = ScimToken.objects.get(name="Okta")
    assert client_a.post(f"/admin/scim/tokens/{token.pk}/revoke/").status_code == 302
    scim_error_of(client.get("Users"), 401)
    scim_error_of(
        client.patch("Users/1", [{"op": "replace", "path": "active", "value": False}]), 401
    )


def test_scopes_limit_the_resources(tenant_a, alice, olivia):
    users_only = ScimClient(host_of("alpha"), token_for(tenant_a, alice, scopes=["users"]))
    assert users_only.get("Users").status_code == 200
    scim_error_of(users_only.get("Groups"), 403)
    groups_only = ScimClient(host_of("alpha"), token_for(tenant_a, alice, scopes=["groups"]))
    scim_error_of(groups_only.get("Users"), 403)
    scim_error_of(groups_only.delete(f"Users/{olivia.pk}"), 403)
    with tenant_context(tenant_a):
        olivia.refresh_from_db()
        assert olivia.is_active


def test_discovery_documents(scim):
    config = scim.get("ServiceProviderConfig")
    assert config.status_code == 200
    assert config["Content-Type"].startswith("application/scim+json")
    body = config.json()
    assert body["patch"]["supported"] is True
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["bulk"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.get("ResourceTypes").json()
    assert {r["id"] for r in types["Resources"]} == {"User", "Group"}
    assert scim.get("ResourceTypes/Group").json()["endpoint"] == "/Groups"
    scim_error_of(scim.get("ResourceTypes/Printer"), 404)
    found = scim.get("Schemas").json()
    ids = {s["id"] for s in found["Resources"]}
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in ids
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in ids
    user = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    assert any(a["name"] == "userName" for a in user["attributes"])


def test_the_settings_page_shows_a_token_once_and_keeps_only_its_hash(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/scim/")
    assert page.status_code == 200
    assert b"http://alpha.localhost/scim/v2" in page.content
    response = client_a.post("/admin/scim/", {"name": "Entra ID", "scopes": ["users", "groups"]})
    assert response.status_code == 200
    text = re.search(rb"scim_[0-9a-f]{12}_[A-Za-z0-9_-]+", response.content).group().decode()
    assert ScimClient(host_of("alpha"), text).get("Users").status_code == 200
    assert text.encode() not in client_a.get("/admin/scim/").content
    with tenant_context(tenant_a):
        token = ScimToken.objects.get(name="Entra ID")
        secret = text.rsplit("_", 1)[1]
        assert secret not in token.secret_hash
        assert len(token.secret_hash) == 64
    (entry,) = audit_entries(tenant_a, "scim.token.create")
    assert entry.actor_email == "alice@alpha.test"


def test_the_settings_page_refuses_non_admins_and_other_tenants(
    client_a, client_b, tenant_a, alice, olivia
):
    anonymous = client_a.get("/admin/scim/")
    assert anonymous.status_code == 302
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get("/admin/scim/").status_code == 403
    assert client_a.post("/admin/scim/", {"name": "x", "scopes": ["users"]}).status_code == 403
    text = token_for(tenant_a, alice)
    with tenant_context(tenant_a):
        token = ScimToken.objects.get(prefix=text.split("_")[1])
    assert client_a.post(f"/admin/scim/tokens/{token.pk}/revoke/").status_code == 403
    assert client_a.post("/admin/scim/mappings/", {"group_name": "G"}).status_code == 403
    sign_in(client_b, "dave@bravo.test")
    assert client_b.post(f"/admin/scim/tokens/{token.pk}/revoke/").status_code in (403, 404)
    with tenant_context(tenant_a):
        token.refresh_from_db()
        assert token.revoked_at is None


def test_a_suspended_tenant_refuses_scim_in_scims_error_shape(scim, tenant_a):
    from apps.tenants.models import Tenant
    from apps.tenants.routing_cache import routing_changed

    Tenant.objects.filter(pk=tenant_a.pk).update(status="suspended")
    routing_changed()
    try:
        response = scim.post("Users", user_body("mia@alpha.test"))
        body = scim_error_of(response, 403)
        assert "suspended" in body["detail"]
    finally:
        Tenant.objects.filter(pk=tenant_a.pk).update(status="active")
        routing_changed()
    with tenant_context(tenant_a):
        from apps.accounts.models import User

        assert not User.objects.filter(email="mia@alpha.test").exists()


def test_refused_calls_are_audited_once_a_minute_per_address_without_the_secret(
    tenant_a, tenant_b, alice
):
    """Every kind of refusal leaves a security entry on the tenant whose host was called (channel
    scim, the token's public prefix, never its secret); a client retrying in a loop does not
    flood the audit trail."""
    from uuid import uuid4

    address = f"198.51.100.{uuid4().int % 250 + 1}"  # this test's own source address

    def client(token):
        scim_client = ScimClient(host_of("alpha"), token)
        scim_client.client.defaults["REMOTE_ADDR"] = address
        return scim_client

    made_up = "scim_0123456789ab_notarealsecret"
    for _ in range(3):
        scim_error_of(client(made_up).get("Users"), 401)
    scim_error_of(client(None).get("Users"), 401)
    other_tenants = token_for(tenant_b, _bravo_admin(tenant_b))
    scim_error_of(client(other_tenants).get("Users"), 401)
    users_only = token_for(tenant_a, alice, scopes=["users"], name="Users only")
    scim_error_of(client(users_only).get("Groups"), 403)
    entries = [e for e in audit_entries(tenant_a, "scim.auth_failed") if e.ip == address]
    codes = [e.detail["code"] for e in entries]
    assert codes == ["invalid_token", "missing_token", "scope"]
    invalid, missing, scope = entries
    assert missing.detail["token_prefix"] == ""
    assert invalid.detail["token_prefix"] == "0123456789ab"
    assert invalid.channel == "scim"
    assert scope.detail["scope"] == "groups"
    assert all("notarealsecret" not in str(e.detail) for e in entries)
    assert not [e for e in audit_entries(tenant_b, "scim.auth_failed") if e.ip == address]


def _bravo_admin(tenant):
    from apps.accounts.models import User

    with tenant_context(tenant):
        admin = User.objects.get(email="dave@bravo.test")
    admin.is_tenant_admin = True  # in memory: allowed to issue bravo's token in this test
    return admin
