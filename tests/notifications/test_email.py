"""Emails over real SMTP (aiosmtpd on loopback): branding, parts, preferences, digest, no PHI,
and failures that end up on the admins' page."""

import pytest
from django_tenants.utils import tenant_context

from apps.notifications import services
from apps.notifications.models import EmailLog, Notification, NotificationPreference
from apps.tenants.models import Branding
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.notifications.fixtures import html_of, text_of
from tests.notifications.helpers import action_token_in

pytestmark = pytest.mark.usefixtures("eager_celery")


def test_task_assigned_email_is_branded_html_and_text_with_an_action_link(
    tenant_a, carol, smtp_server, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        request = submit_capital(carol)
    (message,) = smtp_server.to("bob@alpha.test")
    assert message["From"].addresses[0].display_name == "Alpha General Hospital"
    assert message["Subject"] == f"Approval needed: Capital purchase {request.reference}"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = text_of(message), html_of(message)
    for part in (text, html):
        assert request.reference in part
        assert "Director review" in part
        assert f"http://alpha.localhost/requests/{request.reference}/" in part
        assert "http://alpha.localhost/a/" in part
    assert "#1e3a8a" in html  # tenant A's primary colour
    assert "#b45309" in html  # and its accent, on the button
    assert len(action_token_in(message)) == 43
    with tenant_context(tenant_a):
        log = EmailLog.objects.get(to="bob@alpha.test", request=request)
        assert (log.status, log.attempts, log.kind, log.last_error) == (
            "sent",
            1,
            "task_assigned",
            "",
        )
        assert (
            Notification.objects.filter(recipient__email="bob@alpha.test", request=request).count()
            == 1
        )


def test_sender_name_logo_and_support_contact_come_from_the_tenant(
    tenant_a, carol, smtp_server, django_capture_on_commit_callbacks
):
    Branding.objects.filter(tenant=tenant_a).update(
        email_sender_name="St. Brigid Regional Health",
        support_email="help@stbrigid.test",
        support_phone="+1 555 0100",
        logo="logos/alpha.png",
    )
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        submit_capital(carol)
    (message,) = smtp_server.to("bob@alpha.test")
    assert str(message["From"]).startswith('"St. Brigid Regional Health"')
    assert message["Reply-To"] == "help@stbrigid.test"
    html = html_of(message)
    assert 'src="http://alpha.localhost/branding/logo"' in html
    assert "help@stbrigid.test" in html
    assert "+1 555 0100" in text_of(message)


def test_each_tenant_sends_with_its_own_name_and_colours(
    tenant_b, smtp_server, django_capture_on_commit_callbacks
):
    from apps.accounts.models import User
    from apps.people.models import Department

    with tenant_context(tenant_b):
        erin = User.objects.create_user("erin@bravo.test", "x", full_name="Erin Bravo")
        Department.objects.get(key="radiology").members.add(erin)
        with django_capture_on_commit_callbacks(execute=True):
            request = submit_capital(erin, "9000")
    (message,) = smtp_server.to("dave@bravo.test")
    assert message["From"].addresses[0].display_name == "Bravo Community Clinics"
    assert "#065f46" in html_of(message)
    assert "#1e3a8a" not in html_of(message)
    assert "http://bravo.localhost/a/" in text_of(message)
    assert request.reference in message["Subject"]


def test_preferences_off_digest_and_mandatory(
    tenant_a, carol, bob, smtp_server, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        # carol turns "my request is finished" off and "decided" to the digest.
        assert (
            services.preferences_set(
                actor=carol, choices={"request_completed": "off", "decided": "digest"}
            )
            == {}
        )
        # Mandatory kinds cannot be turned off.
        errors = services.preferences_set(actor=bob, choices={"task_assigned": "off"})
        assert errors == {"task_assigned": ["This notification cannot be turned off."]}
        assert not NotificationPreference.objects.filter(user=bob).exists()
        with django_capture_on_commit_callbacks(execute=True):
            request = submit_capital(carol, "9000")  # director only: bob approves, done
            (task,) = pending(request)
            from apps.approvals.services import DecisionInput, task_decide

            task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
        request.refresh_from_db()
        assert request.status == "approved"
        kinds = set(
            Notification.objects.filter(recipient=carol, request=request).values_list(
                "kind", "delivery"
            )
        )
        assert ("request_approved", "off") in kinds
        assert not smtp_server.to("carol@alpha.test")  # app only

        # A caller can force an email even when the user turned the kind off.
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(
                kind="request_approved", recipients=[carol], approval=request, mandatory=True
            )
        (forced,) = smtp_server.to("carol@alpha.test")
        assert forced["Subject"] == f"Approved: {request.reference}"

        # Digest: collected, then one email; a second run sends nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(kind="decided", recipients=[carol], approval=request, task=task)
        assert len(smtp_server.to("carol@alpha.test")) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.digest_send() == 1
            assert services.digest_send() == 0
        digest = smtp_server.to("carol@alpha.test")[-1]
        assert "your daily digest" in digest["Subject"]
        assert f"Update on {request.reference}" in text_of(digest)
        assert EmailLog.objects.get(kind="daily_digest", to="carol@alpha.test").status == "sent"


def test_failed_smtp_is_logged_and_shown_to_admins_only(
    tenant_a, carol, smtp_server, client_a, django_capture_on_commit_callbacks
):
    from apps.notifications.tasks import send_email

    smtp_server.fail_with = "554 5.7.1 Rejected by policy"
    with tenant_context(tenant_a):
        with django_capture_on_commit_callbacks(execute=False):
            request = submit_capital(carol)
        log = EmailLog.objects.get(to="bob@alpha.test", request=request)
        # The real task with its retries (run eagerly): every attempt fails, the last marks it.
        send_email.apply(args=[log.pk])
        log.refresh_from_db()
        assert log.status == "failed"
        assert log.attempts == send_email.max_retries + 1
        assert log.last_error == "SMTPDataError (554)"
        assert not smtp_server.messages
        # Running it again is harmless.
        send_email.apply(args=[log.pk])
        log.refresh_from_db()
        assert log.attempts == send_email.max_retries + 1
    sign_in(client_a, "bob@alpha.test")
    assert client_a.get("/admin/notifications/failed/").status_code == 403
    client_a.post("/logout/")
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/notifications/failed/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'data-testid="failed-{log.pk}"' in body
    assert "SMTPDataError (554)" in body
    # Sending again once the server works: queued, then sent.
    smtp_server.fail_with = None
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/admin/notifications/failed/{log.pk}/retry")
    assert response.status_code == 302
    with tenant_context(tenant_a):
        log.refresh_from_db()
        assert log.status == "sent"
    assert len(smtp_server.to("bob@alpha.test")) == 1


def test_unreachable_server_is_retried_and_then_failed(
    tenant_a, carol, settings, django_capture_on_commit_callbacks
):
    from tests.notifications.fixtures import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    with tenant_context(tenant_a):
        with django_capture_on_commit_callbacks(execute=False):
            request = submit_capital(carol)
        log = EmailLog.objects.get(to="bob@alpha.test", request=request)
        with pytest.raises(ConnectionRefusedError):
            services.email_deliver(email_log_id=log.pk, final_attempt=False)
        log.refresh_from_db()
        assert (log.status, log.attempts, log.last_error) == (
            "queued",
            1,
            "ConnectionRefusedError (111)",
        )
        services.email_deliver(email_log_id=log.pk, final_attempt=True)
        log.refresh_from_db()
        assert (log.status, log.attempts) == ("failed", 2)
        from apps.notifications.models import ActionToken

        assert not ActionToken.objects.filter(task__request=request).exists()  # no link left
