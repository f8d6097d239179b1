"""Emailed action links: GET never changes anything, the POST from the page decides once, and
every broken link (used, expired, revoked, wrong task, altered, unknown) gets its own page."""

import hashlib
import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.models import Decision, Task
from apps.notifications import tokens
from apps.notifications.models import ActionToken, EmailLog, NotificationSettings
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.notifications.helpers import action_token_in

pytestmark = pytest.mark.usefixtures("eager_celery")

HEADINGS = {
    "used": "This link has already been used",
    "expired": "This link has expired",
    "revoked": "This task no longer needs you",
    "wrong_task": "This link is for a different task",
    "tampered": "This link is damaged",
    "unknown": "We don&#x27;t recognise this link",
    "sign_in": "Sign in to decide",
}


@pytest.fixture
def linked(tenant_a, carol, smtp_server, django_capture_on_commit_callbacks):
    """carol's $120k capital purchase; bob's emailed link to the director task."""
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        request = submit_capital(carol)
    with tenant_context(tenant_a):
        (task,) = pending(request)
    (message,) = smtp_server.to("bob@alpha.test")
    return request, task, action_token_in(message)


def _heading(response) -> str:
    body = response.content.decode()
    start = body.index('data-testid="link-heading">') + len('data-testid="link-heading">')
    return body[start : body.index("</h1>", start)]


def _nothing_changed(tenant, task):
    with tenant_context(tenant):
        assert not Decision.objects.filter(task=task).exists()
        assert Task.objects.get(pk=task.pk).status == "pending"


def _approve(client, token, task_id, **extra):
    return client.post(f"/a/{token}", {"task": task_id, "decision": "approve", **extra})


def test_get_twice_changes_nothing_then_post_decides_once(tenant_a, linked, client_a, bob):
    request, task, token = linked
    for _ in range(2):  # a mail scanner, then bob
        page = client_a.get(f"/a/{token}")
        assert page.status_code == 200
        assert _heading(page) == f"Your decision on {request.reference}"
        assert page["Cache-Control"] == "no-store"
        assert page["Referrer-Policy"] == "same-origin"
        body = page.content.decode()
        assert "$120,000.00" in body
        assert "Director review" in body
        assert "Capital purchase" in body
        # A capital purchase marks no answer phi or sensitive: the phone shows what to decide on.
        for shown in ("CT scanner upgrade", "Acme Medical", "past end of support", "4100-RAD"):
            assert shown in body
        _nothing_changed(tenant_a, task)
    with tenant_context(tenant_a):
        assert ActionToken.objects.get(task=task).used_at is None

    done = _approve(client_a, token, task.pk)
    assert done.status_code == 200
    assert _heading(done) == "Decision recorded"
    assert "You approved" in done.content.decode()
    with tenant_context(tenant_a):
        decision = Decision.objects.get(task=task)
        assert (decision.actor, decision.outcome, decision.channel) == (
            bob,
            "approve",
            "email_link",
        )
        assert ActionToken.objects.get(task=task).used_at is not None
        request.refresh_from_db()
        assert [t.step_name for t in pending(request)] == ["VP review"]

    again = _approve(client_a, token, task.pk)
    assert again.status_code == 410
    assert _heading(again) == HEADINGS["used"]
    assert _heading(client_a.get(f"/a/{token}")) == HEADINGS["used"]
    with tenant_context(tenant_a):
        assert Decision.objects.filter(request=request).count() == 1


def test_only_the_hash_is_stored(tenant_a, linked):
    _, task, token = linked
    with tenant_context(tenant_a):
        stored = ActionToken.objects.get(task=task)
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert not EmailLog.objects.filter(extra__icontains=token).exists()
        expiry = stored.expires_at - stored.created_at
        assert timedelta(hours=71, minutes=59) < expiry <= timedelta(hours=72)


def test_denial_needs_reason_code_and_text(tenant_a, linked, client_a):
    request, task, token = linked
    refused = client_a.post(f"/a/{token}", {"task": task.pk, "decision": "reject", "comment": ""})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Choose a reason code for the denial." in body
    assert "Explain the denial to the requester." in body
    _nothing_changed(tenant_a, task)
    with tenant_context(tenant_a):
        assert ActionToken.objects.get(task=task).used_at is None
        from apps.approvals.models import ReasonCode

        code = ReasonCode.objects.filter(is_active=True).first().code
    denied = client_a.post(
        f"/a/{token}",
        {"task": task.pk, "decision": "reject", "reason_code": code, "comment": "Not budgeted."},
    )
    assert denied.status_code == 200
    with tenant_context(tenant_a):
        request.refresh_from_db()
        assert request.status == "denied"


def test_request_info_needs_text(tenant_a, linked, client_a):
    request, task, token = linked
    refused = client_a.post(f"/a/{token}", {"task": task.pk, "decision": "request_info"})
    assert refused.status_code == 400
    _nothing_changed(tenant_a, task)
    asked = client_a.post(
        f"/a/{token}", {"task": task.pk, "decision": "request_info", "comment": "Quote?"}
    )
    assert asked.status_code == 200
    with tenant_context(tenant_a):
        request.refresh_from_db()
        assert request.status == "needs_info"


def test_expired_link(tenant_a, linked, client_a):
    _, task, token = linked
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1), tick=False):
        page = client_a.get(f"/a/{token}")
        assert page.status_code == 410
        assert _heading(page) == HEADINGS["expired"]
        post = _approve(client_a, token, task.pk)
        assert post.status_code == 410
        assert _heading(post) == HEADINGS["expired"]
    _nothing_changed(tenant_a, task)


def test_tenant_setting_changes_the_expiry(
    tenant_a, carol, smtp_server, client_a, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        NotificationSettings.objects.update_or_create(pk=1, defaults={"link_expiry_hours": 2})
        with django_capture_on_commit_callbacks(execute=True):
            submit_capital(carol)
    token = action_token_in(smtp_server.to("bob@alpha.test")[0])
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1), tick=False):
        assert _heading(client_a.get(f"/a/{token}")) == HEADINGS["expired"]


def test_link_is_revoked_when_the_task_is_decided_in_the_web_ui(tenant_a, linked, client_a):
    request, task, token = linked
    web = Client(HTTP_HOST="alpha.localhost")
    sign_in(web, "bob@alpha.test")
    response = web.post(
        f"/requests/{request.reference}/tasks/{task.pk}/decide", {"decision": "approve"}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert ActionToken.objects.get(task=task).revoked_at is not None
        assert Decision.objects.get(task=task).channel == "web"
    page = client_a.get(f"/a/{token}")
    assert page.status_code == 410
    assert _heading(page) == HEADINGS["revoked"]
    post = _approve(client_a, token, task.pk)
    assert post.status_code == 410
    assert _heading(post) == HEADINGS["revoked"]
    with tenant_context(tenant_a):
        assert Decision.objects.filter(task=task).count() == 1


def test_delegation_revokes_the_link(tenant_a, linked, client_a, bob, victor):
    from apps.approvals.services import task_delegate

    _, task, token = linked
    with tenant_context(tenant_a):
        task_delegate(actor=bob, task=task, to=victor)
    assert _heading(client_a.get(f"/a/{token}")) == HEADINGS["revoked"]


def test_wrong_task_changes_nothing(tenant_a, linked, carol, client_a):
    _, task, token = linked
    with tenant_context(tenant_a):
        other = submit_capital(carol)
        (other_task,) = pending(other)
    for task_id in (other_task.pk, "", "x"):
        post = _approve(client_a, token, task_id)
        assert post.status_code == 400
        assert _heading(post) == HEADINGS["wrong_task"]
    _nothing_changed(tenant_a, task)
    _nothing_changed(tenant_a, other_task)
    assert client_a.get(f"/a/{token}").status_code == 200  # the right task still can be decided


def test_altered_link(tenant_a, linked, client_a):
    _, task, token = linked
    for position in (0, 20, len(token) - 1):
        swapped = "A" if token[position] != "A" else "B"
        altered = token[:position] + swapped + token[position + 1 :]
        page = client_a.get(f"/a/{altered}")
        assert page.status_code == 400
        assert _heading(page) == HEADINGS["tampered"]
        post = _approve(client_a, altered, task.pk)
        assert _heading(post) == HEADINGS["tampered"]
    assert _heading(client_a.get(f"/a/{token[:-1]}")) == HEADINGS["tampered"]
    _nothing_changed(tenant_a, task)


def test_unknown_link_and_a_link_of_another_tenant(tenant_a, linked, client_a, client_b):
    _, task, token = linked
    unknown = tokens.new_token()
    page = client_a.get(f"/a/{unknown}")
    assert page.status_code == 404
    assert _heading(page) == HEADINGS["unknown"]
    assert _heading(_approve(client_a, unknown, task.pk)) == HEADINGS["unknown"]
    # Tenant A's link on tenant B's host does not exist there.
    assert _heading(client_b.get(f"/a/{token}")) == HEADINGS["unknown"]
    assert _heading(_approve(client_b, token, task.pk)) == HEADINGS["unknown"]
    _nothing_changed(tenant_a, task)


def test_post_needs_the_csrf_token_of_the_page(tenant_a, linked):
    _, task, token = linked
    strict = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    assert _approve(strict, token, task.pk).status_code == 403
    _nothing_changed(tenant_a, task)
    page = strict.get(f"/a/{token}")
    csrf = page.cookies["csrftoken"].value
    assert _approve(strict, token, task.pk, csrfmiddlewaretoken=csrf).status_code == 200


def test_sign_in_required_above_an_amount(tenant_a, linked, client_a):
    _, task, token = linked
    with tenant_context(tenant_a):
        NotificationSettings.objects.update_or_create(
            pk=1, defaults={"signin_above_amount": 100000}
        )
    page = client_a.get(f"/a/{token}")
    assert page.status_code == 403
    assert _heading(page) == HEADINGS["sign_in"]
    assert "/login/?next=/a/resume" in page.content.decode()
    assert f"next=/a/{token}" not in page.content.decode()
    assert _approve(client_a, token, task.pk).status_code == 403
    _nothing_changed(tenant_a, task)
    # Signed in as someone else is not enough.
    sign_in(client_a, "victor@alpha.test")
    assert _heading(client_a.get(f"/a/{token}")) == HEADINGS["sign_in"]
    client_a.post("/logout/")
    # bob signs in and comes back to the link: the token waited in his session, not in the URL.
    assert client_a.get(f"/a/{token}").status_code == 403
    response = client_a.post(
        "/login/",
        {
            "username": "bob@alpha.test",
            "password": "correct horse battery staple",
            "next": "/a/resume",
        },
    )
    assert response["Location"] == "/a/resume"
    resumed = client_a.get("/a/resume")
    assert resumed.status_code == 200
    assert 'data-testid="approve-form"' in resumed.content.decode()
    assert client_a.get(f"/a/{token}").status_code == 200
    assert _approve(client_a, token, task.pk).status_code == 200


def test_resume_without_a_pending_link_explains_and_changes_nothing(client_a):
    page = client_a.get("/a/resume")
    assert page.status_code == 404
    assert _heading(page) == "Open the link from your email again"


@pytest.mark.parametrize("logger_name", ["django.request", None])
def test_a_link_that_needs_sign_in_logs_no_token(tenant_a, linked, client_a, caplog, logger_name):
    """Django logs the 403 as `Forbidden: /a/<token>` and the sign-in page is
    `/login/?next=/a/<token>`: neither the request logger nor the root shows the token."""
    _, task, token = linked
    with tenant_context(tenant_a):
        NotificationSettings.objects.update_or_create(
            pk=1, defaults={"signin_above_amount": 100000}
        )
    with caplog.at_level(logging.DEBUG, logger=logger_name):
        assert client_a.get(f"/a/{token}").status_code == 403
        assert _approve(client_a, token, task.pk).status_code == 403
        assert client_a.get(f"/login/?next=/a/{token}").status_code == 200
        client_a.post(
            "/login/", {"username": "bob@alpha.test", "password": "wrong", "next": f"/a/{token}"}
        )
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert len(forbidden) >= 2
    assert all(r.getMessage() == "Forbidden: /a/[redacted]" for r in forbidden)
    assert token not in caplog.text
    for record in caplog.records:
        assert token not in logging.Formatter().format(record)


def test_sign_in_required_for_chosen_workflows(tenant_a, linked, client_a):
    _, _, token = linked
    with tenant_context(tenant_a):
        NotificationSettings.objects.update_or_create(
            pk=1, defaults={"signin_workflows": ["capital-purchase"]}
        )
    assert _heading(client_a.get(f"/a/{token}")) == HEADINGS["sign_in"]


def test_a_session_of_another_tenant_does_not_matter(tenant_a, linked, client_b):
    """dave's tenant-B cookie on tenant A is dropped; the link works for its one task only."""
    import copy

    _, _, token = linked
    sign_in(client_b, "dave@bravo.test")
    on_a = Client(HTTP_HOST="alpha.localhost")
    on_a.cookies = copy.deepcopy(client_b.cookies)
    assert on_a.get(f"/a/{token}").status_code == 200
    assert on_a.get("/notifications/").status_code == 302
