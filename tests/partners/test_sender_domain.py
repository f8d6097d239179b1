"""A tenant's sender domain: named by a partner admin, proven with a DNS TXT record that
dnspython looks up (here from a DNS server on loopback), refused to anyone else. And the
partner's own choice to be named in email footers, which only its admins change."""

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.core.errors import InvalidInput, NotAllowed
from apps.tenants.choices import PartnerRole
from apps.tenants.domains import (
    DnsPythonTxtResolver,
    custom_domain_add,
    custom_domain_verify,
    nameserver_of,
)
from apps.tenants.models import Branding, Partner, PartnerMembership
from apps.tenants.sender_domains import (
    sender_domain_challenge,
    sender_domain_set,
    sender_domain_verify,
)
from apps.tenants.services import partner_defaults_update
from tests.conftest import PASSWORD, sign_in
from tests.partners.helpers import console, paula_console, quinn_console, tenant_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def paula():
    return User.objects.get(email="paula@partner-p.test")


@pytest.fixture
def quinn():
    return User.objects.get(email="quinn@partner-q.test")


@pytest.fixture
def sam():
    """Partner P's staff member: sees tenant A in the console but is not an admin."""
    user = User.objects.create_user("sam@partner-p.test", PASSWORD, full_name="Sam Staff")
    PartnerMembership.objects.create(
        user=user, partner=Partner.objects.get(slug="partner-p"), role=PartnerRole.STAFF
    )
    return user


def test_the_sender_domain_is_verified_through_dnspython_against_real_dns(
    tenant_a, paula, dns_server
):
    brand = sender_domain_set(actor=paula, tenant=tenant_a, domain="Alpha-Hospital.org.")
    assert brand.sender_domain == "alpha-hospital.org"
    assert not brand.sender_domain_verified
    name, value = sender_domain_challenge(brand)
    assert name == "_countersign-challenge.alpha-hospital.org"
    assert value == f"countersign-verify={brand.sender_domain_token}"

    # Nothing published yet: NXDOMAIN from the server, a problem the partner can act on.
    brand = sender_domain_verify(actor=paula, tenant=tenant_a)
    assert not brand.sender_domain_verified
    assert brand.sender_domain_problem == f'No TXT record "{value}" at {name} yet.'
    assert dns_server.questions == [name]

    # A record with another token (say, a custom domain's) does not count.
    dns_server.records[name] = ["countersign-verify=someone-else", "v=spf1 -all"]
    assert not sender_domain_verify(actor=paula, tenant=tenant_a).sender_domain_verified

    dns_server.records[name].append(value)
    brand = sender_domain_verify(actor=paula, tenant=tenant_a)
    assert brand.sender_domain_verified
    assert brand.sender_domain_problem == ""
    assert Branding.objects.get(tenant=tenant_a).sender_domain_verified_at is not None


def test_a_failing_dns_server_is_a_clear_problem_not_a_verification(tenant_a, paula, dns_server):
    brand = sender_domain_set(actor=paula, tenant=tenant_a, domain="alpha-hospital.org")
    dns_server.fail = True
    dns_server.records[sender_domain_challenge(brand)[0]] = [sender_domain_challenge(brand)[1]]
    brand = sender_domain_verify(actor=paula, tenant=tenant_a)
    assert not brand.sender_domain_verified
    assert brand.sender_domain_problem.startswith("DNS lookup failed: ")
    assert brand.sender_domain_problem.endswith("Try again later.")


def test_custom_domains_use_the_same_dnspython_lookup_by_default(tenant_a, dns_server):
    custom = custom_domain_add(actor=None, tenant=tenant_a, domain="approvals.alpha-hospital.org")
    assert not custom_domain_verify(actor=None, custom=custom)  # default resolver, no record
    assert "No TXT record" in custom.last_problem
    dns_server.records[f"_countersign-challenge.{custom.domain}"] = [
        f"countersign-verify={custom.token}"
    ]
    assert custom_domain_verify(actor=None, custom=custom)


def test_a_resolver_that_cannot_be_reached_reports_a_lookup_failure(tenant_a):
    custom = custom_domain_add(actor=None, tenant=tenant_a, domain="approvals.alpha-hospital.org")
    nobody = DnsPythonTxtResolver(["127.0.0.1:9"], lifetime=0.5)  # discard port: no answer
    assert not custom_domain_verify(actor=None, custom=custom, resolver=nobody)
    assert custom.last_problem.startswith("DNS lookup failed: ")


@pytest.mark.parametrize(
    ("entry", "address", "port"),
    [("10.0.0.2", "10.0.0.2", 53), ("127.0.0.1:5353", "127.0.0.1", 5353),
     ("[::1]:5353", "::1", 5353), ("::1", "::1", 53)],
)  # fmt: skip
def test_dns_resolvers_entries(entry, address, port):
    nameserver = nameserver_of(entry)
    assert (nameserver.address, nameserver.port) == (address, port)


def test_renaming_or_clearing_the_sender_domain_drops_its_verification(tenant_a, paula, dns_server):
    brand = sender_domain_set(actor=paula, tenant=tenant_a, domain="alpha-hospital.org")
    dns_server.records[sender_domain_challenge(brand)[0]] = [sender_domain_challenge(brand)[1]]
    assert sender_domain_verify(actor=paula, tenant=tenant_a).sender_domain_verified
    # Saving the same domain again keeps it verified.
    assert sender_domain_set(
        actor=paula, tenant=tenant_a, domain="alpha-hospital.org"
    ).sender_domain_verified
    renamed = sender_domain_set(actor=paula, tenant=tenant_a, domain="mail.alpha-hospital.org")
    assert not renamed.sender_domain_verified
    assert renamed.sender_domain_token != brand.sender_domain_token
    cleared = sender_domain_set(actor=paula, tenant=tenant_a, domain="")
    assert (cleared.sender_domain, cleared.sender_domain_token) == ("", "")
    assert not cleared.sender_domain_verified


@pytest.mark.parametrize("domain", ["localhost", "mail.localhost", "not a domain", "no_dots"])
def test_a_sender_domain_must_be_a_hostname_outside_the_platform(tenant_a, paula, domain):
    with pytest.raises(InvalidInput) as caught:
        sender_domain_set(actor=paula, tenant=tenant_a, domain=domain)
    assert caught.value.field == "sender_domain"


def test_the_console_sets_and_verifies_the_sender_domain(tenant_a, dns_server):
    client = paula_console()
    response = client.post("/tenants/alpha/sender-domain/set/", {"sender_domain": "alpha.org"})
    assert response.status_code == 302
    brand = Branding.objects.get(tenant=tenant_a)
    name, value = sender_domain_challenge(brand)
    page = client.get("/tenants/alpha/")
    assert name.encode() in page.content
    assert value.encode() in page.content
    dns_server.records[name] = [value]
    assert client.post("/tenants/alpha/sender-domain/verify/").status_code == 302
    assert Branding.objects.get(tenant=tenant_a).sender_domain_verified
    assert b"alpha.org is verified" in client.get("/tenants/alpha/").content
    refused = client.post("/tenants/alpha/sender-domain/set/", {"sender_domain": "x.localhost"})
    assert refused.status_code == 400
    assert b"are assigned by us" in refused.content


def test_partner_staff_cannot_set_or_verify_the_sender_domain(tenant_a, sam, paula, dns_server):
    sender_domain_set(actor=paula, tenant=tenant_a, domain="alpha.org")
    client = console("sam@partner-p.test")
    assert client.get("/tenants/alpha/").status_code == 200
    set_response = client.post("/tenants/alpha/sender-domain/set/", {"sender_domain": "evil.org"})
    assert set_response.status_code == 403
    assert client.post("/tenants/alpha/sender-domain/verify/").status_code == 403
    with pytest.raises(NotAllowed):
        sender_domain_set(actor=sam, tenant=tenant_a, domain="evil.org")
    with pytest.raises(NotAllowed):
        sender_domain_verify(actor=sam, tenant=tenant_a)
    brand = Branding.objects.get(tenant=tenant_a)
    assert (brand.sender_domain, brand.sender_domain_checked_at) == ("alpha.org", None)


def test_another_partner_cannot_touch_the_sender_domain(tenant_a, quinn, dns_server):
    client = quinn_console()
    set_response = client.post("/tenants/alpha/sender-domain/set/", {"sender_domain": "evil.org"})
    assert set_response.status_code == 404
    assert client.post("/tenants/alpha/sender-domain/verify/").status_code == 404
    with pytest.raises(NotAllowed):
        sender_domain_set(actor=quinn, tenant=tenant_a, domain="evil.org")
    assert Branding.objects.get(tenant=tenant_a).sender_domain == ""
    assert dns_server.questions == []


def test_tenant_users_cannot_set_the_sender_domain(tenant_a):
    """Tenant A's own people (olivia without rights, even alice the admin) have no partner
    console: its routes do not exist on a tenant's host, and they cannot sign in to it."""
    for email in ("olivia@alpha.test", "alice@alpha.test"):
        client = tenant_client("alpha")
        sign_in(client, email)
        response = client.post("/tenants/alpha/sender-domain/set/", {"sender_domain": "x.org"})
        assert response.status_code == 404
        public = Client(HTTP_HOST="localhost")
        sign_in(public, email)
        assert public.post(
            "/tenants/alpha/sender-domain/set/", {"sender_domain": "x.org"}
        ).status_code in (302, 403)  # not signed in: to the login page
    assert Branding.objects.get(tenant=tenant_a).sender_domain == ""


def _defaults_of(partner: Partner) -> dict[str, object]:
    return {
        "default_primary_colour": partner.default_primary_colour,
        "default_accent_colour": partner.default_accent_colour,
        "default_email_sender_name": partner.default_email_sender_name,
        "default_support_email": partner.default_support_email,
        "powered_by_text": partner.powered_by_text,
    }


def test_a_partner_admin_chooses_to_be_named_in_email_footers(db):
    partner = Partner.objects.get(slug="partner-p")
    assert partner.show_in_emails is False
    client = paula_console()
    assert b"Name us in tenants" in client.get("/settings/").content
    response = client.post("/settings/", {**_defaults_of(partner), "show_in_emails": "on"})
    assert response.status_code == 302
    assert Partner.objects.get(slug="partner-p").show_in_emails is True
    client.post("/settings/", _defaults_of(partner))  # unticked
    assert Partner.objects.get(slug="partner-p").show_in_emails is False


def test_partner_staff_and_other_partners_cannot_change_the_footer_setting(sam, quinn):
    partner = Partner.objects.get(slug="partner-p")
    staff = console("sam@partner-p.test")
    response = staff.post("/settings/", {**_defaults_of(partner), "show_in_emails": "on"})
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        partner_defaults_update(actor=sam, partner=partner, values={"show_in_emails": True})
    with pytest.raises(NotAllowed):
        partner_defaults_update(actor=quinn, partner=partner, values={"show_in_emails": True})
    # quinn's own settings page changes only partner Q.
    other = Partner.objects.get(slug="partner-q")
    assert quinn_console().post("/settings/", {**_defaults_of(other), "show_in_emails": "on"})
    assert Partner.objects.get(slug="partner-p").show_in_emails is False
    assert Partner.objects.get(slug="partner-q").show_in_emails is True
