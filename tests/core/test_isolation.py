"""Tenant isolation of routing, sign-in, sessions, cache and file storage."""

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from tests.conftest import PASSWORD, sign_in


def test_unknown_host_gets_a_clear_404_page(client_public):
    response = client_public.get("/", HTTP_HOST="nowhere.localhost")
    assert response.status_code == 404
    assert b"No organisation at this address" in response.content


def test_tenant_user_signs_in_on_own_tenant(client_a, alice):
    response = sign_in(client_a, "alice@alpha.test")
    assert response.status_code == 302
    home = client_a.get("/")
    assert home.status_code == 200
    assert b"Welcome, Alice" in home.content
    assert b"Alpha General Hospital" in home.content


def test_wrong_password_is_refused_with_a_message(client_a, alice):
    response = sign_in(client_a, "alice@alpha.test", "wrong password")
    assert response.status_code == 200
    assert b"Please enter a correct email and password" in response.content


def test_tenant_a_user_cannot_sign_in_on_tenant_b(client_b, alice):
    response = sign_in(client_b, "alice@alpha.test")
    assert response.status_code == 200
    assert b"Please enter a correct email and password" in response.content
    assert client_b.get("/").status_code == 302  # still anonymous: sent to the login page


def test_tenant_a_session_cookie_is_not_accepted_on_tenant_b(client_a, client_b, alice):
    sign_in(client_a, "alice@alpha.test")
    assert client_a.get("/").status_code == 200
    client_b.cookies = client_a.cookies  # replay A's session cookie against B's host
    response = client_b.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_tenant_user_cannot_use_the_partner_console(client_public, alice):
    response = sign_in(client_public, "alice@alpha.test")
    assert response.status_code == 200
    assert client_public.get("/").status_code == 302


def test_public_user_without_partner_is_refused_by_the_console(client_public):
    response = sign_in(client_public, "nobody@public.test")
    assert b"not a partner account" in response.content


def test_partner_console_lists_only_the_partners_own_tenants(client_public):
    sign_in(client_public, "paula@partner-p.test")
    page = client_public.get("/")
    assert page.status_code == 200
    assert b"Alpha General Hospital" in page.content
    assert b"Bravo Community Clinics" in page.content

    other = client_public.__class__(HTTP_HOST="localhost")
    sign_in(other, "quinn@partner-q.test", PASSWORD)
    page = other.get("/")
    assert page.status_code == 200
    assert b"Alpha General Hospital" not in page.content
    assert b"No tenants yet" in page.content


def test_partner_session_is_not_accepted_on_a_tenant_host(client_public, client_a):
    sign_in(client_public, "paula@partner-p.test")
    client_a.cookies = client_public.cookies
    assert client_a.get("/").status_code == 302


def test_cache_keys_are_per_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        cache.set("isolation-probe", "alpha-secret", 30)
    with tenant_context(tenant_b):
        assert cache.get("isolation-probe") is None
    with tenant_context(tenant_a):
        assert cache.get("isolation-probe") == "alpha-secret"
        cache.delete("isolation-probe")


def test_uploaded_files_are_stored_per_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        name = default_storage.save("probe/isolation.txt", ContentFile(b"alpha"))
        path_a = default_storage.path(name)
    with tenant_context(tenant_b):
        assert not default_storage.exists(name)
        path_b = default_storage.path(name)
    assert "/alpha/" in path_a
    assert "/bravo/" in path_b
    with tenant_context(tenant_a):
        default_storage.delete(name)


def test_healthz_reports_database_and_redis(client_a, client_public):
    for client in (client_a, client_public):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_branding_reaches_the_page_as_css_variables(client_a, client_b):
    login_a = client_a.get("/login/").content.decode()
    login_b = client_b.get("/login/").content.decode()
    assert "--brand-primary: #1e3a8a" in login_a
    assert "--brand-primary: #065f46" in login_b
    assert "Alpha General Hospital" in login_a
    assert "Bravo Community Clinics" in login_b
