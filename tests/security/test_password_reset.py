"""Password reset with Django's views: the same answer for every address, a tenant-branded
email holding only the link, a single-use link, rate limits, another tenant's account never
reachable, and two-step sign-in still asked for after the reset."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from tests.conftest import host_of
from tests.notifications.fixtures import smtp_server, text_of  # noqa: F401
from tests.security.helpers import enrol

NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mailbox(request):
    """The real SMTP test server (tests/notifications/fixtures.py) the emails go through."""
    return request.getfixturevalue("smtp_server")


@pytest.fixture
def dana(tenant_a):
    with tenant_context(tenant_a):
        return User.objects.create_user(
            "dana@alpha.test", "an old passphrase 1234", full_name="Dana Nurse"
        )


def _ask(client: Client, email: str):
    return client.post("/password/reset/", {"email": email})


def _link(mailbox, email: str) -> str:
    (message,) = mailbox.to(email)
    return re.search(r"http://\S+/password/reset/\S+/", text_of(message)).group(0)


def test_the_same_answer_for_any_address_and_a_branded_link_only_email(dana, client_a, mailbox):
    for email in ("dana@alpha.test", "nobody@alpha.test", "dave@bravo.test"):
        response = _ask(client_a, email)
        assert response.status_code == 302
        assert response["Location"] == "/password/reset/sent/"
    assert mailbox.to("nobody@alpha.test") == []
    assert mailbox.to("dave@bravo.test") == []  # another tenant's person is not found here
    (message,) = mailbox.to("dana@alpha.test")
    assert message["Subject"] == "Reset your Alpha General Hospital password"
    body = text_of(message)
    assert "dana@alpha.test" in body
    assert "works once and expires in 1 hour" in body
    assert "Countersign" not in body


def test_the_link_sets_a_password_once_and_does_not_sign_in(dana, client_a, mailbox):
    _ask(client_a, "dana@alpha.test")
    link = _link(mailbox, "dana@alpha.test")
    path = link.split("localhost", 1)[1].split("/", 1)[1]
    form = client_a.get("/" + path, follow=True)
    assert form.status_code == 200
    assert 'data-testid="reset-confirm"' in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    assert "set-password" in set_url
    weak = client_a.post(set_url, {"new_password1": "short", "new_password2": "short"})
    assert "error-new_password1" in weak.content.decode() or "error-new_password2" in (
        weak.content.decode()
    )
    done = client_a.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/password/reset/done/"
    assert "_auth_user_id" not in client_a.session  # not signed in by the reset
    fresh = Client(HTTP_HOST=host_of("alpha"))
    assert (
        fresh.post("/login/", {"username": "dana@alpha.test", "password": NEW_PASSWORD})["Location"]
        != "/login/"
    )
    again = Client(HTTP_HOST=host_of("alpha")).get("/" + path, follow=True)
    assert 'data-testid="reset-link-invalid"' in again.content.decode()


def test_two_step_sign_in_still_applies_after_a_reset(dana, tenant_a, client_a, mailbox):
    with tenant_context(tenant_a):
        enrol(dana)
    _ask(client_a, "dana@alpha.test")
    path = "/" + _link(mailbox, "dana@alpha.test").split("localhost", 1)[1].split("/", 1)[1]
    set_url = client_a.get(path, follow=True).redirect_chain[-1][0]
    client_a.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    fresh = Client(HTTP_HOST=host_of("alpha"))
    response = fresh.post("/login/", {"username": "dana@alpha.test", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/verify/")
    assert "_auth_user_id" not in fresh.session


def test_requests_are_rate_limited_per_address_and_per_network(dana, client_a, mailbox):
    for _ in range(5):
        assert _ask(client_a, "dana@alpha.test").status_code == 302
    assert len(mailbox.to("dana@alpha.test")) == 3  # at most 3 per address per 15 minutes
    for number in range(5):
        _ask(client_a, f"someone{number}@alpha.test")
    refused = _ask(client_a, "dana@alpha.test")
    assert refused.status_code == 429
    assert "Too many reset requests" in refused.content.decode()


def test_sign_in_and_lockout_pages_offer_the_reset(client_a):
    assert 'data-testid="forgot-password"' in client_a.get("/login/").content.decode()
