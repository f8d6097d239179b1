"""Custom domains (verified before routing), the TLS ask endpoint, template pack updates and
branding rules."""

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.core.errors import InvalidInput
from apps.tenants.branding import contrast_ratio, image_check
from apps.tenants.domains import StaticTxtResolver, custom_domain_add, custom_domain_verify
from apps.tenants.models import TemplatePack, Tenant
from apps.tenants.packs import (
    LocalChangesError,
    template_pack_release,
    template_pack_sync,
    template_update_apply,
    template_updates_for,
)
from tests.conftest import sign_in


def test_unverified_domain_is_not_routed_until_the_txt_record_matches(db, tenant_a):
    custom = custom_domain_add(actor=None, tenant=tenant_a, domain="Approvals.Alpha-Hospital.org")
    assert custom.domain == "approvals.alpha-hospital.org"
    client = Client(HTTP_HOST="approvals.alpha-hospital.org")
    assert client.get("/login/").status_code == 404
    assert (
        Client(HTTP_HOST="localhost").get("/tls/ask", {"domain": custom.domain}).status_code == 404
    )
    wrong = StaticTxtResolver({f"_countersign-challenge.{custom.domain}": ["countersign-verify=x"]})
    assert not custom_domain_verify(actor=None, custom=custom, resolver=wrong)
    assert "No TXT record" in custom.last_problem
    right = StaticTxtResolver(
        {f"_countersign-challenge.{custom.domain}": [f"countersign-verify={custom.token}"]}
    )
    assert custom_domain_verify(actor=None, custom=custom, resolver=right)
    with pytest.MonkeyPatch.context() as mp:
        from django.conf import settings

        mp.setattr(settings, "ALLOWED_HOSTS", [*settings.ALLOWED_HOSTS, custom.domain])
        assert b"Alpha General Hospital" in client.get("/login/").content
    assert (
        Client(HTTP_HOST="localhost").get("/tls/ask", {"domain": custom.domain}).status_code == 200
    )


@pytest.mark.parametrize(
    ("host", "status"),
    [("alpha.localhost", 200), ("localhost", 200), ("nowhere.localhost", 404), ("evil.com", 404),
     ("", 404)],
)  # fmt: skip
def test_tls_ask(db, host, status):
    assert Client(HTTP_HOST="localhost").get("/tls/ask", {"domain": host}).status_code == status


@pytest.mark.parametrize("domain", ["localhost", "beta.localhost", "no_dots", "alpha.localhost"])
def test_bad_or_platform_domains_are_refused(db, tenant_a, domain):
    with pytest.raises(InvalidInput):
        custom_domain_add(actor=None, tenant=tenant_a, domain=domain)


def test_the_default_resolver_is_dnspython(settings):
    from apps.tenants.domains import DnsPythonTxtResolver, default_resolver

    settings.COUNTERSIGN_TXT_RESOLVER = ""
    assert isinstance(default_resolver(), DnsPythonTxtResolver)


def _new_release(change):
    release = template_pack_sync()
    templates = copy.deepcopy(release.templates)
    change(templates["capital-purchase"])
    pack = TemplatePack.objects.get(key=release.pack.key, partner=None)
    return template_pack_release(actor=None, pack=pack, version="1.1.0", templates=templates)


def _retitle(spec):
    spec["form"]["fields"][0]["label"] = "What are you buying?"


def test_newer_pack_version_is_offered_and_published_as_a_new_version(db, tenant_a, alice):
    _new_release(_retitle)
    with tenant_context(tenant_a):
        (update,) = [u for u in template_updates_for(tenant_a) if u.key == "capital-purchase"]
        assert update.pinned.version == "1.0.0"
        assert update.latest.version == "1.1.0"
        assert update.changes == ["Form field changed: What are you buying?"]
        assert not update.changed_locally
        version = template_update_apply(
            actor=alice, tenant=tenant_a, template_key="capital-purchase"
        )
        assert version.number == 2
        assert version.definition.source_template == "healthcare-core/capital-purchase@1.1.0"
        assert template_updates_for(tenant_a) == []


def test_local_changes_need_confirmation(db, tenant_a, alice):
    from apps.workflows.models import WorkflowDefinition
    from apps.workflows.services import workflow_publish

    _new_release(_retitle)
    with tenant_context(tenant_a):
        definition = WorkflowDefinition.objects.get(key="capital-purchase")
        spec = copy.deepcopy(definition.current_version.spec)
        spec["name"] = "Capital purchase (Alpha)"
        workflow_publish(actor=alice, spec=spec, source_template=definition.source_template)
        (update,) = [u for u in template_updates_for(tenant_a) if u.key == "capital-purchase"]
        assert update.local_changes == ["Setting changed: name"]
        with pytest.raises(LocalChangesError):
            template_update_apply(actor=alice, tenant=tenant_a, template_key="capital-purchase")
        version = template_update_apply(
            actor=alice,
            tenant=tenant_a,
            template_key="capital-purchase",
            confirm_local_changes=True,
        )
        assert version.number == 3  # a new version; version 2 (the local edit) is kept


def test_template_updates_page_is_for_admins_only(db, tenant_a):
    _new_release(_retitle)
    olivia = Client(HTTP_HOST="alpha.localhost")
    sign_in(olivia, "olivia@alpha.test")
    assert olivia.get("/admin/template-updates/").status_code == 403
    alice = Client(HTTP_HOST="alpha.localhost")
    sign_in(alice, "alice@alpha.test")
    page = alice.get("/admin/template-updates/")
    assert b"1.0.0 \xe2\x86\x92 1.1.0" in page.content
    assert (
        alice.post("/admin/template-updates/", {"template_key": "capital-purchase"}).status_code
        == 302
    )


def test_contrast_ratio_matches_wcag_examples():
    assert round(contrast_ratio("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast_ratio("#ffffff", "#767676"), 1) == 4.5


def test_low_contrast_colour_gets_a_warning_in_the_preview(db):
    client = Client(HTTP_HOST="localhost")
    sign_in(client, "paula@partner-p.test")
    response = client.post(
        "/branding/preview/", {"primary_colour": "#fde047", "accent_colour": "#1e3a8a"}
    )
    assert "WCAG AA needs 4.5:1" in response.content.decode()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("logo.png", PNG, True),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', True),
        ("logo.svg", b"<svg><script>alert(1)</script></svg>", False),
        ("logo.svg", b'<svg onload="x()"></svg>', False),
        ("logo.png", b"GIF89a....", False),
        ("big.png", PNG + b"\x00" * (600 * 1024), False),
    ],
)
def test_logo_validation(name, content, ok):
    upload = SimpleUploadedFile(name, content)
    check = lambda: image_check(  # noqa: E731
        upload, field="logo", allowed=("png", "jpeg", "webp", "svg"), max_bytes=512 * 1024
    )
    if ok:
        check()
    else:
        with pytest.raises(InvalidInput):
            check()


def test_logo_upload_is_stored_per_tenant_and_login_shows_message(db, tenant_b):
    client = Client(HTTP_HOST="localhost")
    sign_in(client, "paula@partner-p.test")
    response = client.post(
        "/tenants/bravo/branding/",
        {"display_name": "Bravo Community Clinics", "primary_colour": "#065f46",
         "accent_colour": "#7c3aed", "login_message": "Bravo staff only",
         "logo": SimpleUploadedFile("b.png", PNG)},
    )  # fmt: skip
    assert response.status_code == 302
    brand = Tenant.objects.get(slug="bravo").branding
    assert brand.logo.name.startswith("bravo/")
    login = Client(HTTP_HOST="bravo.localhost").get("/login/").content.decode()
    assert "Bravo staff only" in login


def test_user_admin_invite_deactivate_and_outsider(
    db, tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    alice = Client(HTTP_HOST="alpha.localhost")
    sign_in(alice, "alice@alpha.test")
    assert b"bob@alpha.test" in alice.get("/admin/users/").content
    with django_capture_on_commit_callbacks(execute=True):
        assert alice.post("/admin/users/invite/", {"email": "nina@alpha.test"}).status_code == 302
    assert "http://alpha.localhost/invitations/" in mail.outbox[0].body
    token_path = mail.outbox[0].body.split("http://alpha.localhost")[1].split()[0]
    # the token is bound to tenant A
    assert Client(HTTP_HOST="bravo.localhost").get(token_path).status_code == 410
    assert alice.post("/admin/users/invite/", {"email": "bob@alpha.test"}).status_code == 400
    with tenant_context(tenant_a):
        bob = User.objects.get(email="bob@alpha.test")
    page = alice.post(f"/admin/users/{bob.pk}/deactivate/", follow=True).content.decode()
    assert "deactivated" in page
    olivia = Client(HTTP_HOST="alpha.localhost")
    sign_in(olivia, "olivia@alpha.test")
    assert olivia.get("/admin/users/").status_code == 403
    assert olivia.post(f"/admin/users/{bob.pk}/reactivate/").status_code == 403
    assert olivia.post("/admin/users/invite/", {"email": "z@alpha.test"}).status_code == 403


def test_expired_invitation_gets_a_clear_page(db, tenant_a):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from apps.accounts.invitations import invitation_create

    with tenant_context(tenant_a):
        link = invitation_create(
            actor=None, email="late@alpha.test", base_url="http://alpha.localhost"
        )
    path = link.removeprefix("http://alpha.localhost")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = Client(HTTP_HOST="alpha.localhost").get(path)
    assert response.status_code == 410
    assert b"expired" in response.content
