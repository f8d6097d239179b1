"""A tenant on a second real PostgreSQL cluster (tests/fixtures/clusters.py): created there,
served on its host (pages and API), its timers fired and its webhooks delivered by a real
worker, its rows in that cluster's database and not in the directory's."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.api.choices import ALL_SCOPES
from apps.api.services import api_key_create
from apps.approvals.models import ApprovalRequest
from apps.approvals.services import DecisionInput, task_decide
from apps.core.errors import InvalidInput
from apps.core.postgres.clusters import cluster_selected, tenant_activated
from apps.integrations.models import DeliveryState, WebhookDelivery
from apps.integrations.webhooks.services import webhook_endpoint_create
from apps.tenants.clusters import cluster_for_new_tenant, cluster_loads
from apps.tenants.models import Partner, Tenant
from apps.tenants.services import tenant_create
from apps.timers.models import Timer
from apps.timers.services import timers_sweep
from tests.api.conftest import ApiClient, error_of
from tests.approvals.helpers import capital_data, pending, submit_capital
from tests.conftest import PEOPLE_A, _ensure_people, _ensure_workflows, host_of, sign_in
from tests.fixtures.celery_worker import WorkerProcess, wait_for
from tests.integrations.receiver import Receiver


def rows_on(alias: str, schema: str, table: str) -> int | None:
    """Rows of `schema.table` read straight from one cluster (None: no such table there)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}"."{table}"'])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')  # noqa: S608 - test names
        return int(cursor.fetchone()[0])


def tenant_made_on(alias: str) -> Tenant:
    slug = f"c2{uuid.uuid4().hex[:8]}"
    tenant = tenant_create(  # committed: the worker and the web client read it
        partner=Partner.objects.get(slug="partner-p"),
        slug=slug,
        name=f"Cluster Two Clinic {slug}",
        database=alias,
    )
    with tenant_activated(tenant):
        _ensure_people(PEOPLE_A)
        _ensure_workflows("alpha")  # alpha's ladder: bob director, victor VP, frank CFO
    return tenant


def key_of(tenant: Tenant, email: str) -> str:
    with tenant_activated(tenant):
        owner = User.objects.get(email=email)
        scopes = [s for s in ALL_SCOPES if s != "admin" or owner.is_tenant_admin]
        _, text = api_key_create(actor=None, name="cluster test", scopes=scopes, owner=owner)
    return text


def tenant_forget(tenant: Tenant) -> None:
    """The directory's rows; the schema goes with the cluster's test database."""
    Timer.objects.filter(schema_name=tenant.schema_name).delete()
    Tenant.objects.filter(pk=tenant.pk).delete()


@pytest.fixture
def c2_tenant(second_cluster, open_db):
    made: list[Tenant] = []
    try:
        made.append(tenant_made_on(second_cluster.alias))
        yield made[0]
    finally:
        for tenant in made or Tenant.objects.filter(database=second_cluster.alias):
            tenant_forget(tenant)


def test_a_new_tenant_lives_on_the_cluster_it_was_given(c2_tenant, second_cluster):
    schema = c2_tenant.schema_name
    assert Tenant.objects.get(pk=c2_tenant.pk).database == second_cluster.alias
    assert rows_on(second_cluster.alias, schema, "accounts_user") == len(PEOPLE_A)
    assert rows_on("default", schema, "accounts_user") is None  # no such schema on default
    assert rows_on("default", "public", "tenants_tenant") >= 3  # the directory stays there
    assert rows_on(second_cluster.alias, "public", "tenants_tenant") == 0
    assert cluster_loads()[second_cluster.alias] >= 1


def test_placement_takes_the_named_or_the_least_loaded_open_cluster(
    second_cluster, open_db, settings
):
    assert cluster_for_new_tenant() == "default"  # cluster2 is closed to automatic placement
    assert cluster_for_new_tenant(second_cluster.alias) == second_cluster.alias
    settings.TENANT_CLUSTERS_CLOSED = []
    loads = cluster_loads()
    assert loads["default"] > loads[second_cluster.alias]
    assert cluster_for_new_tenant() == second_cluster.alias
    with pytest.raises(InvalidInput) as refused:
        cluster_for_new_tenant("nowhere")
    assert refused.value.code == "cluster_unknown"


def test_its_pages_and_api_are_served_from_its_cluster(c2_tenant, second_cluster):
    host = host_of(c2_tenant.slug)
    browser = Client(HTTP_HOST=host)
    assert sign_in(browser, "carol@alpha.test").status_code == 302
    page = browser.get("/")
    assert page.status_code == 200
    assert c2_tenant.name in page.content.decode()

    carol = ApiClient(host, key_of(c2_tenant, "carol@alpha.test"))
    created = carol.post(
        "/api/v1/requests", {"workflow": "capital-purchase", "data": capital_data()}
    )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]

    bob = ApiClient(host, key_of(c2_tenant, "bob@alpha.test"))
    task = next(
        t
        for t in bob.get("/api/v1/tasks/mine").json()["results"]
        if t["request"]["id"] == request_id
    )
    olivia = ApiClient(host, key_of(c2_tenant, "olivia@alpha.test"))  # same tenant, no role
    refused = olivia.post(f"/api/v1/tasks/{task['id']}/decide", {"decision": "approve"})
    assert refused.status_code in (403, 404)
    decided = bob.post(f"/api/v1/tasks/{task['id']}/decide", {"decision": "approve"})
    assert decided.status_code == 200, decided.content
    assert decided.json()["channel"] == "api"

    # Another tenant's host does not know this tenant's key, nor this host alpha's request.
    elsewhere = ApiClient(host_of("alpha"), bob.key)
    assert elsewhere.get("/api/v1/tasks/mine").status_code == 401
    with tenant_activated(c2_tenant):
        assert ApprovalRequest.objects.filter(pk=request_id).count() == 1
    assert rows_on(second_cluster.alias, c2_tenant.schema_name, "approvals_approvalrequest") == 1
    assert rows_on(second_cluster.alias, c2_tenant.schema_name, "approvals_decision") >= 1
    # The request's SLA timers are indexed in the directory under the tenant's schema.
    assert Timer.objects.filter(schema_name=c2_tenant.schema_name).exists()
    assert error_of(refused)["code"]


class HooksWorker(WorkerProcess):
    settings_module = "tests.integrations.worker_settings"


@pytest.fixture
def worker(second_cluster, open_db, settings):
    """A real worker that knows cluster2 (COUNTERSIGN_EMBEDDED_CLUSTERS, set by the fixture)."""
    from config.celery import app

    queue = f"test-c2-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    process = HooksWorker(connections["default"].settings_dict["NAME"], queue)
    process.start()
    yield process
    process.stop()
    app.conf.task_default_queue = previous


@pytest.mark.slow
def test_its_timers_fire_and_its_webhooks_deliver_through_a_worker(c2_tenant, worker):
    with Receiver() as receiver:
        with tenant_activated(c2_tenant):
            people = {u.email.split("@")[0]: u for u in User.objects.all()}
            endpoint, _ = webhook_endpoint_create(
                actor=people["alice"], url=receiver.url, events=["request.approved"]
            )
            request = submit_capital(people["carol"], "9000")
            (task,) = pending(request)
            task_decide(actor=people["bob"], task=task, decision=DecisionInput("approve"))

        def delivered():
            with tenant_activated(c2_tenant):
                return WebhookDelivery.objects.filter(
                    endpoint=endpoint, event__request_id=request.pk, state=DeliveryState.SUCCEEDED
                ).first()

        assert wait_for(delivered, timeout=60)
        time.sleep(0.3)
    posts = [r for r in receiver.received if r.headers["Countersign-Event"] == "request.approved"]
    assert [p.status for p in posts] == [200]

    # A due timer of this tenant: the sweep (here, on the directory) sends it to the worker,
    # which fires it on cluster2.
    with tenant_activated(c2_tenant):
        new_request = submit_capital(people["carol"], "9100")
    timer = Timer.objects.filter(schema_name=c2_tenant.schema_name, fired_at__isnull=True).first()
    assert timer is not None
    Timer.objects.filter(pk=timer.pk).update(fire_at=timezone.now() - timedelta(seconds=1))
    assert timers_sweep() >= 1
    fired = wait_for(
        lambda: Timer.objects.filter(pk=timer.pk, fired_at__isnull=False).first(), timeout=60
    )
    assert fired.schema_name == c2_tenant.schema_name
    with cluster_selected("default"):
        assert rows_on("default", c2_tenant.schema_name, "sla_clock") is None
    with tenant_activated(c2_tenant):
        assert ApprovalRequest.objects.filter(pk=new_request.pk).exists()
