"""The demo mailbox: the backend keeps each email the demo sends; the page shows a person the
emails sent to them and a tenant admin the tenant's; other tenants' never; no page outside
the demo."""

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.conftest import sign_in

BACKEND = "apps.notifications.demo_mailbox.DemoMailboxBackend"


def _send(tenant, to, subject):
    with tenant_context(tenant):
        message = EmailMultiAlternatives(subject, f"Hello. Open http://x.test/{subject}", to=[to])
        message.attach_alternative(f"<p>{subject}</p>", "text/html")
        mail.get_connection(BACKEND).send_messages([message])


def test_the_page_shows_each_reader_their_tenants_emails(
    tmp_path, client_a, client_b, tenant_a, tenant_b, alice, bob, carol
):
    with override_settings(DEMO_MAILBOX_DIR=str(tmp_path)):
        _send(tenant_a, "bob@alpha.test", "Approval needed CAP-1")
        _send(tenant_a, "carol@alpha.test", "Your request was approved")
        _send(tenant_b, "dave@bravo.test", "Bravo only")
        assert len(list(tmp_path.glob("*.json"))) == 3

        sign_in(client_a, "bob@alpha.test")
        page = client_a.get("/demo/mailbox/").content.decode()
        assert "Approval needed CAP-1" in page
        assert "Your request was approved" not in page
        assert "Bravo only" not in page

        client_a.logout()
        sign_in(client_a, "alice@alpha.test")  # a tenant admin sees the tenant's emails
        page = client_a.get("/demo/mailbox/").content.decode()
        assert "Approval needed CAP-1" in page
        assert "Your request was approved" in page
        assert "Bravo only" not in page

        sign_in(client_b, "dave@bravo.test")
        page = client_b.get("/demo/mailbox/").content.decode()
        assert "Bravo only" in page
        assert "CAP-1" not in page


def test_anonymous_people_are_sent_to_sign_in(tmp_path, client_a, tenant_a):
    with override_settings(DEMO_MAILBOX_DIR=str(tmp_path)):
        response = client_a.get("/demo/mailbox/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_outside_the_demo_there_is_no_mailbox(client_a, tenant_a, alice):
    with override_settings(DEMO_MAILBOX_DIR=""):
        sign_in(client_a, "alice@alpha.test")
        assert client_a.get("/demo/mailbox/").status_code == 404
