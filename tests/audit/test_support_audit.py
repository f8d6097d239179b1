"""Partner support access lands in the tenant's own audit trail, and every page seen during it
is tagged with the support session."""

from django.test import Client
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.audit.verify import chain_verify
from apps.tenants.models import Tenant
from tests.approvals.helpers import submit_capital
from tests.partners.helpers import paula_console
from tests.partners.test_support import _enter, _grant


def test_support_session_start_and_reads_are_in_the_tenant_trail(db, carol):
    alpha = Tenant.objects.get(slug="alpha")
    with tenant_context(alpha):
        request = submit_capital(carol, "9000")
    console = paula_console()
    grant = _grant(console)
    host = Client(HTTP_HOST="alpha.localhost")
    assert host.get(_enter(console, grant)).status_code == 302
    assert host.get(f"/requests/{request.reference}/").status_code == 200
    with tenant_context(alpha):
        start = AuditEntry.objects.get(action="support.session_start", detail__grant=grant.pk)
        assert start.category == "support"
        assert start.actor_email == "support+partner-p@countersign.invalid"
        assert start.detail["reason"] == "Ticket 4411: inbox shows no tasks"
        view = AuditEntry.objects.filter(
            action="request.view", request_reference=request.reference
        ).last()
        assert view.actor_email == "support+partner-p@countersign.invalid"
        assert view.support_session != ""
        assert chain_verify().ok
