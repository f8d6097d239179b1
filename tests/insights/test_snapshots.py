"""A large tenant's dashboard and CMS report come from snapshots a real worker builds: the first
view says the figures are being prepared, then shows them with their time; a stale snapshot is
shown while a new one is built. Tenants are "large" here by lowering the threshold."""

import re
from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from apps.insights import snapshots
from apps.insights.cms import CmsSettings
from apps.insights.selectors import Filters
from tests.conftest import host_of, sign_in
from tests.fixtures.celery_worker import wait_for


def _forget(kind: str, params: dict) -> None:
    """No snapshot (nor a build in progress) of this view from an earlier run."""
    key = snapshots._key(kind, params)
    with schema_context("alpha"):
        cache.delete_many([key, key + ":building"])


def _as_of(html: str) -> str | None:
    found = re.search(r"Figures as of (\d+ \w+ \d{4}, [0-9:]+ \w+)", html)
    return found.group(1) if found else None


@pytest.mark.slow
def test_large_tenant_dashboard_is_prepared_by_a_worker_then_served(
    django_db_setup, celery_worker, open_db, settings
):
    settings.INSIGHTS_INLINE_MAX_REQUESTS = -2  # every tenant counts as large
    alice, bob = Client(HTTP_HOST=host_of("alpha")), Client(HTTP_HOST=host_of("alpha"))
    sign_in(alice, "alice@alpha.test")
    sign_in(bob, "bob@alpha.test")
    _forget("dashboard", snapshots.filters_params(Filters(date(2001, 2, 3), date(2030, 1, 1))))
    url = "/admin/insights/?start=2001-02-03&end=2030-01-01"
    csv_url = "/admin/insights/data/volume.csv?start=2001-02-03&end=2030-01-01"

    first = alice.get(url)
    assert first.status_code == 202
    assert b'data-testid="insights-preparing"' in first.content
    assert b'http-equiv="refresh"' in first.content
    assert bob.get(url).status_code == 403

    def served():
        response = alice.get(url)
        return response if response.status_code == 200 else None

    page = wait_for(served, timeout=60).content.decode()
    assert 'data-testid="chart-volume"' in page
    assert _as_of(page) is not None
    assert "newer figures are being prepared" not in page
    download = alice.get(csv_url)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert bob.get(csv_url).status_code == 403

    settings.INSIGHTS_SNAPSHOT_FRESH_SECONDS = 0  # now every snapshot is stale
    stale = alice.get(url).content.decode()
    assert "newer figures are being prepared" in stale  # shown, not withheld, while rebuilding


@pytest.mark.slow
def test_large_tenant_cms_report_is_prepared_by_a_worker(
    django_db_setup, celery_worker, open_db, settings
):
    settings.INSIGHTS_INLINE_MAX_REQUESTS = -2
    alice = Client(HTTP_HOST=host_of("alpha"))
    sign_in(alice, "alice@alpha.test")
    year = 2003
    _forget("cms", snapshots.cms_params(year, CmsSettings()))
    url = f"/admin/insights/cms-0057-f/?year={year}"
    assert alice.get(f"/admin/insights/cms-0057-f.csv?year={year}").status_code in (200, 503)
    served = wait_for(lambda: alice.get(url).status_code == 200, timeout=60)
    assert served
    page = alice.get(url).content.decode()
    assert f"Prior-authorization metrics, {year}" in page
    assert _as_of(page) is not None
    assert alice.get(f"/admin/insights/cms-0057-f.csv?year={year}").status_code == 200


def test_the_beat_keeps_a_large_tenants_default_views_ready(tenant_a, settings):
    from apps.insights.tasks import refresh_default_snapshots
    from config.celery import app

    entry = app.conf.beat_schedule["insights-refresh-default-snapshots"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= settings.INSIGHTS_SNAPSHOT_FRESH_SECONDS
    with schema_context(tenant_a.schema_name):
        for kind, params in snapshots.default_views():
            cache.delete(snapshots._key(kind, params))
        assert refresh_default_snapshots.apply().get() == 0  # small: computed at page view
        settings.INSIGHTS_INLINE_MAX_REQUESTS = -2
        assert refresh_default_snapshots.apply().get() == 2
        for kind, params in snapshots.default_views():
            kept = cache.get(snapshots._key(kind, params))
            assert kept is not None
            assert not kept.stale


def test_large_tenant_dashboard_is_computed_live_while_the_cache_is_down(db, settings):
    settings.INSIGHTS_INLINE_MAX_REQUESTS = -2
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "unix:///tmp/countersign-no-redis-here.sock?db=0",
        }
    }
    alice = Client(HTTP_HOST=host_of("alpha"))
    sign_in(alice, "alice@alpha.test")
    page = alice.get("/admin/insights/?start=2001-02-03&end=2030-01-01")
    assert page.status_code == 200
    assert b'data-testid="chart-volume"' in page.content
    assert b'data-testid="insights-preparing"' not in page.content
