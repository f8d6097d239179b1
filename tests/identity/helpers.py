"""Signing in through the test provider over HTTP: Countersign through Django's test client,
the IdP through `requests` (its real login form), as a browser would hop between them."""

from urllib.parse import urljoin, urlsplit

import requests

from tests.identity.fixtures import CLIENTS, IDP_PASSWORD


def configure(*, provider, slug: str, **overrides):
    """Save tenant `slug`'s IdP settings through the service (the admin's page has its own
    tests). Call inside the tenant."""
    from apps.accounts.models import User
    from apps.identity.services import identity_provider_update

    admin = User.objects.filter(is_tenant_admin=True).order_by("pk").first()
    if admin is None:  # tenant B has none: its first person becomes one (rolled back)
        admin = User.objects.order_by("pk").first()
        admin.is_tenant_admin = True
        admin.save(update_fields=["is_tenant_admin"])
    client_id, secret = CLIENTS[slug]
    values = {
        "name": "Test IdP",
        "is_enabled": True,
        "issuer_url": provider.issuer,
        "client_id": client_id,
        "scopes": "openid email profile",
        "claim_email": "email",
        "claim_name": "name",
        "claim_department": "department",
        "claim_manager": "manager_email",
        "claim_groups": "groups",
        "group_roles": {"cs-utilization": ["utilization_reviewer"]},
        "jit_enabled": False,
        "require_sso": False,
    }
    break_glass = overrides.pop("break_glass_admins", [])
    values.update(overrides)
    return identity_provider_update(
        actor=admin, values=values, client_secret=secret, break_glass_admins=break_glass
    )


def idp_login(authorize_url: str, username: str, password: str = IDP_PASSWORD, session=None) -> str:
    """The callback URL the IdP sends the browser back to after its login form (`session`: the
    browser's cookies at the IdP, kept by the caller to use the IdP session afterwards)."""
    session = session if session is not None else requests.Session()
    response = session.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    login_url = urljoin(authorize_url, response.headers["Location"])
    page = session.get(login_url, timeout=10)
    assert page.status_code == 200
    next_url = urlsplit(login_url).query.split("next=", 1)[1]
    from urllib.parse import unquote

    response = session.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["idp_csrftoken"],
            "next": unquote(next_url),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    response = session.get(
        urljoin(login_url, response.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def sso_sign_in(client, username: str, password: str = IDP_PASSWORD):
    """Start on Countersign, sign in at the IdP, come back: the callback's response."""
    start = client.get("/sso/oidc/start/")
    assert start.status_code == 302, start.content[:500]
    callback = urlsplit(idp_login(start["Location"], username, password))
    return client.get(f"{callback.path}?{callback.query}")
