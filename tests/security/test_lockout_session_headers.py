"""Sign-in lockout (django-axes), sign-out after inactivity and the security headers."""

import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.security import security_policy_update
from apps.audit.models import AuditEntry
from tests.conftest import sign_in


def test_five_failures_lock_the_sign_in_out_with_a_clear_page(client_a, client_b, tenant_a):
    for _ in range(4):
        response = sign_in(client_a, "bob@alpha.test", "wrong password")
        assert response.status_code == 200
    locked = sign_in(client_a, "bob@alpha.test", "wrong password")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert 'data-testid="locked-out"' in body
    assert "15 minutes" in body
    # Even the right password is refused while locked out.
    again = sign_in(client_a, "bob@alpha.test")
    assert again.status_code == 429
    assert client_a.session.get("_auth_user_id") is None
    # Another person is not locked out.
    assert sign_in(client_a, "carol@alpha.test").status_code == 302
    # Lockouts are per tenant host: tenant B's sign-in is untouched.
    assert sign_in(client_b, "dave@bravo.test").status_code == 302
    with tenant_context(tenant_a):
        assert AuditEntry.objects.filter(
            category="security", action="login_locked_out", actor_email="bob@alpha.test"
        ).exists()


def test_lockout_ends_after_fifteen_minutes(client_a):
    for _ in range(5):
        sign_in(client_a, "bob@alpha.test", "wrong password")
    assert sign_in(client_a, "bob@alpha.test").status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert sign_in(client_a, "bob@alpha.test").status_code == 302


def test_one_wrong_password_shows_the_normal_error(client_a):
    response = sign_in(client_a, "bob@alpha.test", "wrong password")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_inactive_session_is_signed_out_after_the_default_30_minutes(client_a):
    sign_in(client_a, "bob@alpha.test")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client_a.get("/inbox/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client_a.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/inbox/"
    assert client_a.session.get("_auth_user_id") is None


def test_tenant_policy_sets_the_inactivity_limit(client_a, tenant_a, alice):
    with tenant_context(tenant_a):
        security_policy_update(actor=alice, require_mfa_for_everyone=False, session_idle_minutes=90)
    sign_in(client_a, "bob@alpha.test")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=80), tick=False):
        assert client_a.get("/inbox/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=80 + 91), tick=False):
        assert client_a.get("/inbox/").status_code == 302


def test_policy_bounds(tenant_a, alice):
    with tenant_context(tenant_a), pytest.raises(ValueError, match="out of bounds"):
        security_policy_update(actor=alice, require_mfa_for_everyone=False, session_idle_minutes=4)


def test_partner_console_signs_out_after_30_minutes(client_public):
    sign_in(client_public, "paula@partner-p.test")
    start = timezone.now()
    assert client_public.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert client_public.get("/")["Location"].startswith("/login/")


def test_csp_header_on_tenant_and_console_pages(client_a, client_public):
    for client in (client_a, client_public):
        policy = client.get("/login/")["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "script-src 'self' 'unsafe" not in policy
        assert "img-src 'self' data:" in policy
        assert "frame-ancestors 'none'" in policy
        assert "form-action 'self'" in policy


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_headers_on_the_wire_with_curl(live_site, open_db):
    url = live_site.url("alpha", "/login/")
    head = subprocess.run(
        ["curl", "-sI", "--noproxy", "*", url], capture_output=True, text=True, timeout=30
    ).stdout.lower()
    assert head.startswith("http/1.1 200")
    csp = next(line for line in head.splitlines() if line.startswith("content-security-policy:"))
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "referrer-policy: same-origin" in head
    assert "x-frame-options: deny" in head
    assert "x-content-type-options: nosniff" in head
