"""API keys: hashed, scoped, tenant-bound, revocable; session auth with CSRF; the command and
the admin page."""

import io
import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.api.models import ApiKey
from apps.api.services import api_key_create, api_key_revoke
from apps.approvals.exceptions import InvalidInput, NotAllowed
from tests.api.conftest import ApiClient, error_of, key_for
from tests.conftest import sign_in

# Every operation of the API, with ids that need not exist: authentication comes first.
EVERY_ENDPOINT = [
    ("GET", "/api/schema/"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/workflows"),
    ("GET", "/api/v1/workflows/1"),
    ("GET", "/api/v1/requests"),
    ("POST", "/api/v1/requests"),
    ("GET", "/api/v1/requests/1"),
    ("POST", "/api/v1/requests/1/submit"),
    ("POST", "/api/v1/requests/1/withdraw"),
    ("POST", "/api/v1/requests/1/resubmit"),
    ("POST", "/api/v1/requests/1/amend"),
    ("POST", "/api/v1/requests/1/appeal"),
    ("POST", "/api/v1/requests/1/extend"),
    ("GET", "/api/v1/requests/1/comments"),
    ("POST", "/api/v1/requests/1/comments"),
    ("GET", "/api/v1/requests/1/attachments"),
    ("POST", "/api/v1/requests/1/attachments"),
    ("GET", "/api/v1/requests/1/attachments/1/download"),
    ("GET", "/api/v1/tasks/mine"),
    ("GET", "/api/v1/tasks/queue"),
    ("GET", "/api/v1/tasks/1"),
    ("POST", "/api/v1/tasks/decide"),
    ("POST", "/api/v1/tasks/1/decide"),
    ("POST", "/api/v1/tasks/1/claim"),
    ("POST", "/api/v1/tasks/1/delegate"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks/1"),
    ("PATCH", "/api/v1/webhooks/1"),
    ("DELETE", "/api/v1/webhooks/1"),
    ("GET", "/api/v1/webhooks/1/deliveries"),
    ("POST", "/api/v1/webhooks/1/deliveries/00000000-0000-0000-0000-000000000001/replay"),
    ("GET", "/api/v1/people"),
    ("GET", "/api/v1/people/1"),
    ("PATCH", "/api/v1/people/1"),
    ("POST", "/api/v1/people/import"),
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
    ("DELETE", "/api/v1/api-keys/1"),
]


def _call(client: ApiClient, method: str, path: str):
    if method == "PATCH":
        return client.client.patch(
            path, "{}", content_type="application/json", headers=client.headers()
        )
    return client.request(method, path, {})


def test_the_endpoint_list_covers_the_schema(api, alice):
    schema = json.loads(api(alice).get("/api/schema/", {"format": "json"}).content)
    documented = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "delete")
    }
    listed = {(m, re.sub(r"/(1|00000000-[0-9-]+)(?=/|$)", "/{id}", p)) for m, p in EVERY_ENDPOINT}
    normalised = {(m, re.sub(r"\{[a-z_]+\}", "{id}", p)) for m, p in documented}
    assert normalised <= listed


@pytest.mark.parametrize(("method", "path"), EVERY_ENDPOINT)
def test_a_key_of_tenant_a_is_unknown_on_tenant_b(method, path, tenant_a, alice):
    client = ApiClient("bravo.localhost", key_for(tenant_a, alice))
    response = _call(client, method, path)
    assert response.status_code == 401, response.content
    assert error_of(response)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), EVERY_ENDPOINT[1:])
def test_no_key_is_401(method, path, db):
    response = _call(ApiClient("alpha.localhost"), method, path)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_keys_are_stored_hashed_and_shown_once(in_tenant_a, alice):
    key, text = api_key_create(actor=alice, name="ERP", scopes=["requests:read"])
    assert re.fullmatch(r"cs_live_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}", text)
    secret = text.rsplit("_", 1)[-1] if text.count("_") == 3 else text[len("cs_live_") + 13 :]
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert all(secret not in str(value) for value in stored.values())
    assert len(key.secret_hash) == 64
    assert key.owner == alice


def test_revoked_and_forged_keys_are_401(api, alice, tenant_a):
    client = api(alice)
    assert client.get("/api/v1/me").status_code == 200
    with tenant_context(tenant_a):
        api_key_revoke(actor=alice, key=ApiKey.objects.get(prefix=client.key.split("_")[2]))
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    forged = ApiClient("alpha.localhost", client.key[:-4] + "abcd")
    assert forged.get("/api/v1/me").status_code == 401
    assert ApiClient("alpha.localhost", "not-a-key").get("/api/v1/me").status_code == 401


def test_only_tenant_admins_create_or_revoke_keys(in_tenant_a, alice, carol):
    with pytest.raises(NotAllowed):
        api_key_create(actor=carol, name="mine", scopes=["requests:read"])
    with pytest.raises(InvalidInput) as refused:
        api_key_create(actor=alice, name="x", scopes=["admin"], owner=carol)
    assert "scopes" in refused.value.fields
    key, _ = api_key_create(actor=alice, name="x", scopes=["requests:read"], owner=carol)
    with pytest.raises(NotAllowed):
        api_key_revoke(actor=carol, key=key)


def test_last_used_is_written_at_most_once_a_minute(api, carol, tenant_a):
    client = api(carol)
    prefix = client.key.split("_")[2]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get("/api/v1/me")
        with tenant_context(tenant_a):
            first = ApiKey.objects.get(prefix=prefix).last_used_at
        clock.shift(timedelta(seconds=30))
        client.get("/api/v1/me")
        with tenant_context(tenant_a):
            assert ApiKey.objects.get(prefix=prefix).last_used_at == first
        clock.shift(timedelta(seconds=45))
        client.get("/api/v1/me")
        with tenant_context(tenant_a):
            assert ApiKey.objects.get(prefix=prefix).last_used_at > first


def test_a_key_acts_as_its_owner_within_its_scopes(api, carol):
    body = api(carol, ["requests:read"]).get("/api/v1/me").json()
    assert body["user"]["email"] == "carol@alpha.test"
    assert body["scopes"] == ["requests:read"]


def test_session_auth_works_for_the_browser_with_csrf(client_a, carol):
    sign_in(client_a, "carol@alpha.test")
    assert client_a.get("/api/v1/me").json()["scopes"][0] == "requests:read"
    strict = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    strict.cookies = client_a.cookies
    response = strict.post("/api/v1/requests", "{}", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]


def test_the_command_prints_a_working_key_once(tenant_a, alice):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api_key_create",
        "--tenant=alpha",
        "--owner=alice@alpha.test",
        "--scopes=requests:read,admin",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue().strip()
    assert text.startswith("cs_live_")
    assert "shown once" in err.getvalue()
    me = ApiClient("alpha.localhost", text).get("/api/v1/me").json()
    assert me["scopes"] == ["requests:read", "admin"]
    assert ApiClient("bravo.localhost", text).get("/api/v1/me").status_code == 401


def test_the_command_refuses_unknown_people_and_scopes(tenant_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("api_key_create", "--tenant=alpha", "--owner=nobody@alpha.test")
    with pytest.raises(CommandError):
        call_command(
            "api_key_create", "--tenant=alpha", "--owner=carol@alpha.test", "--scopes=root"
        )


def test_the_admin_page_creates_shows_once_and_revokes(client_a, alice, carol, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    assert client_a.get("/admin/api-keys/").status_code == 200
    response = client_a.post(
        "/admin/api-keys/",
        {"name": "ERP sync", "owner": carol.pk, "scopes": ["requests:read", "requests:write"]},
    )
    assert response.status_code == 200
    text = re.search(rb"cs_live_[0-9a-f]{12}_[A-Za-z0-9_-]+", response.content).group().decode()
    assert ApiClient("alpha.localhost", text).get("/api/v1/me").json()["user"]["id"] == carol.pk
    listing = client_a.get("/admin/api-keys/")
    assert text.encode() not in listing.content
    assert b"ERP sync" in listing.content
    with tenant_context(tenant_a):
        key = ApiKey.objects.get(name="ERP sync")
    client_a.post(f"/admin/api-keys/{key.pk}/revoke")
    assert ApiClient("alpha.localhost", text).get("/api/v1/me").status_code == 401


def test_the_admin_page_refuses_non_admins_and_other_tenants(client_a, client_b, carol, tenant_a):
    sign_in(client_a, "carol@alpha.test")
    assert client_a.get("/admin/api-keys/").status_code == 403
    assert client_a.post("/admin/api-keys/", {"name": "x"}).status_code == 403
    sign_in(client_b, "dave@bravo.test")
    with tenant_context(tenant_a):
        key, _ = api_key_create(actor=None, name="A", scopes=["requests:read"], owner=carol)
    assert client_b.post(f"/admin/api-keys/{key.pk}/revoke").status_code in (403, 404)
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(pk=key.pk).revoked_at is None
