"""White-label emails (Django's locmem outbox): the footer names the tenant, the partner only
when it chose to be named, never the platform's product; From is the tenant's verified sender
domain, else the platform's address."""

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.invitations import invitation_create
from apps.notifications import services
from apps.tenants.models import Branding, Partner
from tests.approvals.helpers import submit_capital

pytestmark = pytest.mark.usefixtures("eager_celery")


def _whole(message) -> str:
    """Headers, text and HTML of one sent email, as the recipient's client receives it."""
    html = "".join(content for content, _ in getattr(message, "alternatives", []))
    return f"{message.message().as_string()}\n{message.body}\n{html}"


def _task_email(tenant, requester, capture):
    with tenant_context(tenant), capture(execute=True):
        submit_capital(requester)
    (message,) = [m for m in mail.outbox if m.to == ["bob@alpha.test"]]
    return message


def test_the_footer_names_the_tenant_and_never_countersign(
    tenant_a, carol, django_capture_on_commit_callbacks
):
    message = _task_email(tenant_a, carol, django_capture_on_commit_callbacks)
    html = message.alternatives[0][0]
    assert "Sent by Alpha General Hospital. This email contains no patient information" in (
        message.body
    )
    assert "Sent by Alpha General Hospital. This email contains no patient information" in html
    assert "countersign" not in _whole(message).lower()
    assert "Partner P Health IT" not in _whole(message)
    assert message.from_email == "Alpha General Hospital <no-reply@localhost>"


def test_the_partner_is_named_only_when_it_chooses(
    tenant_a, carol, django_capture_on_commit_callbacks
):
    Partner.objects.filter(slug="partner-p").update(show_in_emails=True)
    message = _task_email(tenant_a, carol, django_capture_on_commit_callbacks)
    line = "Sent by Alpha General Hospital through Partner P Health IT."
    assert line in message.body
    assert line in message.alternatives[0][0]
    assert "Countersign" not in _whole(message)


def test_from_uses_the_verified_sender_domain_and_falls_back_when_unverified(
    tenant_a, carol, django_capture_on_commit_callbacks
):
    Branding.objects.filter(tenant=tenant_a).update(
        email_sender_name="St. Brigid Regional Health", sender_domain="stbrigid.org"
    )
    unverified = _task_email(tenant_a, carol, django_capture_on_commit_callbacks)
    assert unverified.from_email == '"St. Brigid Regional Health" <no-reply@localhost>'

    mail.outbox.clear()
    Branding.objects.filter(tenant=tenant_a).update(sender_domain_verified_at=timezone.now())
    verified = _task_email(tenant_a, carol, django_capture_on_commit_callbacks)
    assert verified.from_email == '"St. Brigid Regional Health" <no-reply@stbrigid.org>'
    assert "no-reply@stbrigid.org" in verified.message()["From"]


def test_a_verified_sender_domain_of_one_tenant_is_not_another_tenants(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    from apps.accounts.models import User
    from apps.people.models import Department

    Branding.objects.filter(tenant=tenant_a).update(
        sender_domain="alpha-hospital.org", sender_domain_verified_at=timezone.now()
    )
    with tenant_context(tenant_b):
        erin = User.objects.create_user("erin@bravo.test", "x", full_name="Erin Bravo")
        Department.objects.get(key="radiology").members.add(erin)
        with django_capture_on_commit_callbacks(execute=True):
            submit_capital(erin, "9000")
    (message,) = [m for m in mail.outbox if m.to == ["dave@bravo.test"]]
    assert message.from_email == "Bravo Community Clinics <no-reply@localhost>"
    assert "Sent by Bravo Community Clinics." in message.body


def test_invitations_use_the_same_from_and_no_product_name(
    tenant_a, alice, django_capture_on_commit_callbacks
):
    Branding.objects.filter(tenant=tenant_a).update(
        sender_domain="alpha-hospital.org", sender_domain_verified_at=timezone.now()
    )
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=alice, email="nina@alpha.test", base_url="http://alpha.localhost")
    (message,) = mail.outbox
    assert message.from_email == "Alpha General Hospital <no-reply@alpha-hospital.org>"
    assert "invited you to Alpha General Hospital." in message.body
    assert "Countersign" not in _whole(message)


def test_the_digest_subject_and_footer_name_only_the_tenant(
    tenant_a, carol, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        services.preferences_set(actor=carol, choices={"decided": "digest"})
        with django_capture_on_commit_callbacks(execute=True):
            request = submit_capital(carol, "9000")
            services.notify(kind="decided", recipients=[carol], approval=request)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.digest_send() == 1
    (digest,) = mail.outbox
    assert digest.subject == "Alpha General Hospital: your daily digest (1 updates)"
    assert "Sent by Alpha General Hospital." in digest.body
    assert "Countersign" not in _whole(digest)
