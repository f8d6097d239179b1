"""Input that used to break a tenant: CR/LF in email header values (refused when saved, and made
harmless when sent), active SVG logos (refused), case in sign-in addresses, NUL bytes and oversized
bodies on HTML pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.core.errors import InvalidInput
from apps.tenants.api_keys import partner_api_key_create
from apps.tenants.branding import image_check
from apps.tenants.models import Branding, Partner, Tenant
from tests.conftest import sign_in
from tests.partners.helpers import paula_console

BRAVO_BRANDING = {
    "display_name": "Bravo Community Clinics",
    "primary_colour": "#065f46",
    "accent_colour": "#7c3aed",
}


@pytest.mark.parametrize("field", ["email_sender_name", "email_reply_to", "display_name"])
@pytest.mark.parametrize("bad", ["Bravo\r\nBcc: all@evil.test", "Bravo\nX", "Bravo\x00"])
def test_the_console_refuses_header_unsafe_branding_with_a_field_message(db, tenant_b, field, bad):
    if field == "email_reply_to":
        bad = bad.replace("Bravo", "it@bravo.test")
    response = paula_console().post("/tenants/bravo/branding/", BRAVO_BRANDING | {field: bad})
    if "\x00" in bad:  # refused before the view, like every NUL in any form
        assert response.status_code == 400
        assert field in response.content.decode()
    else:
        assert response.status_code == 400
        assert field in response.context["branding_form"].errors
    brand = Branding.objects.get(tenant__slug="bravo")
    assert "\n" not in getattr(brand, field)
    assert "\x00" not in getattr(brand, field)


def _partner_api() -> Client:
    user = User.objects.get(email="paula@partner-p.test")
    _, raw = partner_api_key_create(
        actor=user, partner=Partner.objects.get(slug="partner-p"), name="ci"
    )
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_partner_api_refuses_a_sender_name_with_crlf(db, tenant_b):
    response = _partner_api().patch(
        "/api/partner/v1/tenants/bravo/",
        {"branding": {"email_sender_name": "Bravo\r\nBcc: all@evil.test"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "email_sender_name" in error["fields"]
    assert Branding.objects.get(tenant__slug="bravo").email_sender_name == ""


def test_the_partner_api_refuses_nul_and_deep_json(db, tenant_b):
    client = _partner_api()
    nul = client.patch(
        "/api/partner/v1/tenants/bravo/",
        '{"branding": {"login_message": "hi\\u0000"}}',
        content_type="application/json",
    )
    assert nul.status_code == 400
    assert "branding.login_message" in nul.json()["error"]["fields"]
    deep = client.patch(
        "/api/partner/v1/tenants/bravo/", "[" * 5000 + "]" * 5000, content_type="application/json"
    )
    assert deep.status_code == 400
    big = client.patch(
        "/api/partner/v1/tenants/bravo/",
        '{"branding": {"login_message": "' + "x" * (3 * 1024 * 1024) + '"}}',
        content_type="application/json",
    )
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "request_too_large"


def test_an_invitation_still_sends_when_an_old_sender_name_has_a_line_break(
    db, tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    # Stored before the rule existed (bypassing validation): sending must not fail.
    Branding.objects.filter(tenant=tenant_a).update(
        email_sender_name="Alpha\r\nBcc: all@evil.test", display_name="Alpha\nHealth"
    )
    alice = Client(HTTP_HOST="alpha.localhost")
    sign_in(alice, "alice@alpha.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post("/admin/users/invite/", {"email": "nina@alpha.test"})
    assert response.status_code == 302
    message = mail.outbox[-1].message()
    assert "\n" not in message["Subject"]
    assert "Bcc" not in str(message.get("Bcc", ""))
    assert "\r" not in message["From"]
    assert "\n" not in message["From"]


NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
SVG_PAYLOADS = [
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    f'<svg {NS} onload="alert(1)"></svg>',
    f"<svg {NS}><script>alert(1)</script></svg>",
    f'<svg {NS}><a href="javascript:alert(1)"><rect width="5" height="5"/></a></svg>',
    f'<svg {NS}><a href="java&#x73;cript:alert(1)"><rect width="5" height="5"/></a></svg>',
    f'<svg {NS}><g><path d="M0 0" xlink:href="java&#x73;cript:alert(1)"/></g></svg>',
    f'<svg {NS}><foreignObject><body xmlns="http://www.w3.org/1999/xhtml">'
    "<script>alert(1)</script></body></foreignObject></svg>",
    f'<svg {NS}><use href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=#x"/></svg>',
    f'<svg {NS}><use xlink:href="https://evil.test/x.svg#a"/></svg>',
    f'<svg {NS}><animate attributeName="href" to="javascript:alert(1)"/></svg>',
    f'<svg {NS}><set attributeName="onmouseover" to="alert(1)"/></svg>',
    f'<svg {NS}><image href="javascript:alert(1)"/></svg>',
    f"<svg {NS}><style>rect {{ fill: url(javascript:alert(1)) }}</style></svg>",
    f'<svg {NS}><rect style="fill: url(https://evil.test/t)" width="1" height="1"/></svg>',
    f'<svg {NS}><rect onclick="alert(1)" width="1" height="1"/></svg>',
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "javascript:">]>'
    f'<svg {NS}><a href="&x;alert(1)"/></svg>',
]


@pytest.mark.parametrize("payload", SVG_PAYLOADS)
def test_every_active_svg_payload_is_refused(payload):
    upload = SimpleUploadedFile("logo.svg", payload.encode())
    with pytest.raises(InvalidInput) as refused:
        image_check(upload, field="logo", allowed=("png", "svg"), max_bytes=512 * 1024)
    assert refused.value.code in ("image_unsafe", "image_type")
    assert "logo" in refused.value.fields


@pytest.mark.parametrize(
    "svg",
    [
        f'<svg {NS} viewBox="0 0 10 10"><rect width="10" height="10" fill="#065f46"/></svg>',
        f'<svg {NS}><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/>'
        '</linearGradient></defs><circle r="4" fill="url(#g)"/><use href="#g"/>'
        "<text>Bravo</text></svg>",
    ],
)
def test_plain_svgs_are_accepted(svg):
    upload = SimpleUploadedFile("logo.svg", svg.encode())
    image_check(upload, field="logo", allowed=("png", "svg"), max_bytes=512 * 1024)


def test_the_console_refuses_an_active_svg_logo_and_stores_nothing(db, tenant_b):
    payload = f'<svg {NS}><a href="java&#x73;cript:alert(1)"><rect/></a></svg>'.encode()
    response = paula_console().post(
        "/tenants/bravo/branding/",
        BRAVO_BRANDING | {"logo": SimpleUploadedFile("logo.svg", payload)},
    )
    assert response.status_code == 400
    assert "logo" in response.context["branding_form"].errors
    assert not Tenant.objects.get(slug="bravo").branding.logo


def test_sign_in_ignores_the_case_of_the_email_address(db, tenant_a):
    client = Client(HTTP_HOST="alpha.localhost")
    response = sign_in(client, "  ALICE@Alpha.test ")
    assert response.status_code == 302
    with tenant_context(tenant_a):
        alice = User.objects.get(email="alice@alpha.test")
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_nul_in_an_html_form_is_400_naming_the_field(db, tenant_a):
    response = Client(HTTP_HOST="alpha.localhost").post(
        "/login/", {"username": "alice@alpha.test\x00", "password": "x"}
    )
    assert response.status_code == 400
    assert b"username" in response.content


def test_an_oversized_html_form_is_413(db, tenant_a):
    response = Client(HTTP_HOST="alpha.localhost").post(
        "/login/", {"username": "a@alpha.test", "password": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_an_active_svg_stored_before_the_check_is_not_served(db, tenant_b):
    from django.core.files.base import ContentFile

    brand = Branding.objects.get(tenant__slug="bravo")
    brand.logo.save("old.svg", ContentFile(f"<svg {NS} onload='alert(1)'></svg>".encode()))
    assert Client(HTTP_HOST="bravo.localhost").get("/branding/logo").status_code == 404
    plain = f'<svg {NS}><rect width="1" height="1"/></svg>'.encode()
    brand.logo.save("new.svg", ContentFile(plain))
    served = Client(HTTP_HOST="bravo.localhost").get("/branding/logo")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/svg+xml"
    assert b"".join(served.streaming_content) == plain
