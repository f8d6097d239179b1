"""Time zones: the organisation's (tenant admins), one's own (preferences), and where they show."""

import csv
import io

from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.audit.models import AuditEntry
from apps.tenants.models import Tenant
from tests.approvals.helpers import submit_capital
from tests.conftest import sign_in


def _zone_set(client, path, name):
    return client.post(path, {"time_zone": name})


def test_a_person_chooses_their_time_zone_and_pages_show_times_in_it(client_a, tenant_a, carol):
    with tenant_context(tenant_a):
        approval = submit_capital(carol)
    sign_in(client_a, "carol@alpha.test")
    page = client_a.get(f"/requests/{approval.reference}/").content.decode()
    assert " UTC" in page  # the organisation's zone until she chooses one (the server's here)
    assert client_a.get("/account/preferences/").status_code == 200
    saved = _zone_set(client_a, "/account/preferences/", "America/Chicago")
    assert saved.status_code == 302
    page = client_a.get(f"/requests/{approval.reference}/").content.decode()
    assert " CST" in page
    assert " UTC" not in page.split("<main", 1)[1]
    with tenant_context(tenant_a):
        assert User.objects.get(email="carol@alpha.test").time_zone == "America/Chicago"
        entry = AuditEntry.objects.filter(action="user.time_zone").latest("sequence")
        assert entry.actor_email == "carol@alpha.test"
        assert entry.detail == {"from": "", "to": "America/Chicago"}


def test_an_unknown_time_zone_is_refused_with_its_name_and_nothing_changes(client_a, tenant_a):
    sign_in(client_a, "carol@alpha.test")
    refused = _zone_set(client_a, "/account/preferences/", "Mars/Olympus")
    assert refused.status_code == 400
    assert "Mars/Olympus" in refused.content.decode()
    assert "is not a time zone" in refused.content.decode()
    with tenant_context(tenant_a):
        assert User.objects.get(email="carol@alpha.test").time_zone == ""


def test_preferences_need_a_sign_in_on_this_tenant(client_a, client_b):
    assert client_a.get("/account/preferences/")["Location"].startswith("/login/")
    sign_in(client_b, "dave@bravo.test")
    moved = client_b.post(
        "/account/preferences/", {"time_zone": "Asia/Tokyo"}, HTTP_HOST="alpha.localhost"
    )
    assert moved.status_code == 302
    assert moved["Location"].startswith("/login/")


def test_organisation_time_zone_is_for_its_admins_and_applies_to_everyone(
    client_a, client_b, tenant_a, carol
):
    with tenant_context(tenant_a):
        approval = submit_capital(carol)
    sign_in(client_a, "bob@alpha.test")
    assert client_a.get("/admin/organisation/").status_code == 403
    assert _zone_set(client_a, "/admin/organisation/", "Asia/Tokyo").status_code == 403
    sign_in(client_b, "dave@bravo.test")
    refused = client_b.post(
        "/admin/organisation/", {"time_zone": "Asia/Tokyo"}, HTTP_HOST="alpha.localhost"
    )
    assert refused.status_code == 302  # another tenant's session is not a sign-in here
    assert Tenant.objects.get(slug="alpha").time_zone == "UTC"

    admin = client_a.__class__(HTTP_HOST="alpha.localhost")
    sign_in(admin, "alice@alpha.test")
    assert _zone_set(admin, "/admin/organisation/", "").status_code == 400
    assert _zone_set(admin, "/admin/organisation/", "America/New_York").status_code == 302
    assert Tenant.objects.get(slug="alpha").time_zone == "America/New_York"
    assert Tenant.objects.get(slug="bravo").time_zone == "UTC"
    # Bob has no zone of his own: he now reads the organisation's.
    page = client_a.get(f"/requests/{approval.reference}/").content.decode()
    assert " EST" in page
    with tenant_context(tenant_a):
        assert AuditEntry.objects.filter(
            action="organisation.time_zone", actor_email="alice@alpha.test"
        ).exists()


def test_the_api_keeps_utc_whatever_the_zones(client_a, tenant_a, carol):
    from tests.api.conftest import ApiClient, key_for

    with tenant_context(tenant_a):
        Tenant.objects.filter(slug="alpha").update(time_zone="America/Chicago")
        User.objects.filter(email="carol@alpha.test").update(time_zone="Asia/Tokyo")
        approval = submit_capital(carol)
    api = ApiClient("alpha.localhost", key_for(tenant_a, carol))
    body = api.get(f"/api/v1/requests/{approval.id}").json()
    assert body["created_at"].endswith(("Z", "+00:00")), body["created_at"]


def test_audit_csv_gives_times_in_the_readers_zone_with_the_offset(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    _zone_set(client_a, "/account/preferences/", "America/Chicago")
    response = client_a.get("/admin/audit/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows
    assert all(row["at"].endswith(("-06:00", "-05:00")) for row in rows), rows[:2]
