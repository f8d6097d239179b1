"""Two-step sign-in: enrolment forced for admins and partner staff, the code step, recovery
codes, outsiders and the audit trail."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from apps.accounts.security import security_policy_update
from apps.audit.models import AuditEntry
from tests.conftest import sign_in
from tests.security.helpers import code_for, enrol


@pytest.fixture
def enforced(settings):
    settings.MFA_ENFORCE = True
    return settings


def _signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_admin_without_device_must_enrol_before_anything_else(enforced, client_a, tenant_a, alice):
    response = sign_in(client_a, "alice@alpha.test")
    assert response.status_code == 302
    assert response["Location"] == "/account/mfa/enrol/"
    for path in ("/", "/inbox/", "/admin/", "/admin/users/", "/account/mfa/"):
        response = client_a.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/account/mfa/enrol/", path
    page = client_a.get("/account/mfa/enrol/").content.decode()
    assert 'data-testid="mfa-required"' in page
    assert "<svg" in page
    with tenant_context(tenant_a):
        device = TOTPDevice.objects.get(user=alice, confirmed=False)
    wrong = client_a.post("/account/mfa/enrol/", {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert client_a.get("/inbox/")["Location"] == "/account/mfa/enrol/"
    with tenant_context(tenant_a):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    done = client_a.post("/account/mfa/enrol/", {"code": code_for(device)})
    body = done.content.decode()
    assert done.status_code == 200
    assert 'data-testid="recovery-codes"' in body
    assert body.count("<li><code>") == 10
    assert client_a.get("/inbox/").status_code == 200
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(action="mfa.enrolled").latest("sequence")
    assert entry.category == "security"
    assert entry.actor_email == "alice@alpha.test"


def test_same_tenant_non_admin_is_not_forced(enforced, client_a):
    response = sign_in(client_a, "bob@alpha.test")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client_a.get("/inbox/").status_code == 200


def test_tenant_policy_can_require_mfa_for_everyone(enforced, client_a, tenant_a, alice):
    with tenant_context(tenant_a):
        security_policy_update(actor=alice, require_mfa_for_everyone=True, session_idle_minutes=30)
    response = sign_in(client_a, "bob@alpha.test")
    assert response["Location"] == "/account/mfa/enrol/"
    assert client_a.get("/inbox/")["Location"] == "/account/mfa/enrol/"


def test_not_enforced_in_tests_by_default(client_a):
    response = sign_in(client_a, "alice@alpha.test")
    assert response["Location"] == "/"


def test_user_with_device_must_give_a_code_and_a_wrong_code_signs_nobody_in(
    client_a, tenant_a, bob
):
    with tenant_context(tenant_a):
        device, _ = enrol(bob)
    response = sign_in(client_a, "bob@alpha.test")
    assert response.status_code == 302
    assert response["Location"] == "/login/verify/"
    assert _signed_in_as(client_a) is None
    assert client_a.get("/inbox/")["Location"].startswith("/login/")
    wrong = client_a.post("/login/verify/", {"code": "123456"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert _signed_in_as(client_a) is None
    assert client_a.get("/inbox/")["Location"].startswith("/login/")
    with tenant_context(tenant_a):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        failed = AuditEntry.objects.filter(action="login_failed", actor_email="bob@alpha.test")
        assert failed.exists()
    ok = client_a.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    assert ok.status_code == 302
    assert ok["Location"] == "/"
    assert _signed_in_as(client_a) == str(bob.pk)
    assert client_a.get("/inbox/").status_code == 200


def test_recovery_code_works_once_and_is_audited(client_a, tenant_a, bob):
    with tenant_context(tenant_a):
        _, codes = enrol(bob)
    sign_in(client_a, "bob@alpha.test")
    ok = client_a.post("/login/verify/", {"code": codes[0]})
    assert ok.status_code == 302
    assert _signed_in_as(client_a) == str(bob.pk)
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(action="mfa.recovery_code_used").latest("sequence")
    assert entry.category == "security"
    assert entry.detail["codes_left"] == 9
    client_a.post("/logout/")
    sign_in(client_a, "bob@alpha.test")
    again = client_a.post("/login/verify/", {"code": codes[0]})
    assert again.status_code == 400
    assert _signed_in_as(client_a) is None


def test_too_many_wrong_codes_end_the_attempt(client_a, tenant_a, bob):
    with tenant_context(tenant_a):
        enrol(bob)
    sign_in(client_a, "bob@alpha.test")
    for _ in range(4):
        assert client_a.post("/login/verify/", {"code": "000000"}).status_code == 400
    last = client_a.post("/login/verify/", {"code": "000000"})
    assert last.status_code in (302, 429)
    assert _signed_in_as(client_a) is None
    assert client_a.get("/login/verify/").status_code == 302


def test_remove_and_regenerate_are_audited(client_a, tenant_a, bob):
    with tenant_context(tenant_a):
        device, _ = enrol(bob)
    sign_in(client_a, "bob@alpha.test")
    client_a.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    page = client_a.post("/account/mfa/recovery-codes/")
    assert page.content.decode().count("<li><code>") == 10
    assert client_a.post("/account/mfa/remove/")["Location"] == "/account/mfa/"
    with tenant_context(tenant_a):
        actions = set(
            AuditEntry.objects.filter(
                category="security", actor_email="bob@alpha.test"
            ).values_list("action", flat=True)
        )
        assert not TOTPDevice.objects.filter(user=bob).exists()
    assert {"mfa.enrolled", "mfa.recovery_codes_regenerated", "mfa.removed"} <= actions


def test_admin_cannot_remove_required_mfa(enforced, client_a, tenant_a, alice):
    with tenant_context(tenant_a):
        device, _ = enrol(alice)
    sign_in(client_a, "alice@alpha.test")
    client_a.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    client_a.post("/account/mfa/remove/")
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_session_without_second_step_cannot_change_mfa(client_a, tenant_a, bob):
    sign_in(client_a, "bob@alpha.test")  # signed in before a device existed
    with tenant_context(tenant_a):
        enrol(bob)
    assert client_a.post("/account/mfa/remove/")["Location"] == "/account/mfa/"
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=bob, confirmed=True).exists()


def test_partner_staff_must_enrol_on_the_console(enforced, client_public):
    response = sign_in(client_public, "paula@partner-p.test")
    assert response["Location"] == "/account/mfa/enrol/"
    assert client_public.get("/")["Location"] == "/account/mfa/enrol/"
    assert client_public.get("/settings/")["Location"] == "/account/mfa/enrol/"
    page = client_public.get("/account/mfa/enrol/")
    assert page.status_code == 200
    assert 'data-testid="mfa-secret"' in page.content.decode()


def test_other_tenant_user_and_anonymous_cannot_use_mfa_pages(client_b, client_a, dave):
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get("/account/mfa/").status_code == 200
    for path in ("/account/mfa/", "/account/mfa/enrol/"):
        response = client_b.get(path, HTTP_HOST="alpha.localhost")
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/"), path
        anonymous = client_a.get(path)
        assert anonymous["Location"].startswith("/login/?next="), path
    assert client_a.post("/account/mfa/remove/")["Location"].startswith("/login/")
    assert client_a.get("/login/verify/")["Location"] == "/login/"


def test_security_policy_page_is_for_admins_only(client_a, tenant_a):
    sign_in(client_a, "bob@alpha.test")
    assert client_a.get("/admin/security/").status_code == 403
    client_a.post("/logout/")
    sign_in(client_a, "alice@alpha.test")
    bad = client_a.post("/admin/security/", {"session_idle_minutes": "3"})
    assert bad.status_code == 400
    ok = client_a.post("/admin/security/", {"session_idle_minutes": "60"})
    assert ok.status_code == 302


def _forget_mfa_state(client, tenant):
    """As for a session started outside the sign-in views (e.g. accepting an invitation)."""
    from importlib import import_module

    from django.conf import settings as django_settings

    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    with tenant_context(tenant):
        session = store(client.cookies[django_settings.SESSION_COOKIE_NAME].value)
        session.pop("mfa_state")
        session.save()


def test_session_started_elsewhere_is_checked_once(settings, client_a, tenant_a, alice, bob):
    sign_in(client_a, "alice@alpha.test")  # MFA_ENFORCE is off in tests
    settings.MFA_ENFORCE = True
    assert client_a.get("/inbox/").status_code == 200
    _forget_mfa_state(client_a, tenant_a)
    assert client_a.get("/inbox/")["Location"] == "/account/mfa/enrol/"
    client_a.post("/logout/")

    sign_in(client_a, "bob@alpha.test")
    with tenant_context(tenant_a):
        enrol(bob)
    _forget_mfa_state(client_a, tenant_a)
    response = client_a.get("/inbox/")
    assert response["Location"] == "/login/?next=/inbox/"
    assert _signed_in_as(client_a) is None
