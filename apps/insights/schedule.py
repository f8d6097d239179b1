"""Beat entries of the insights app (plain data; config/celery.py collects them)."""

SCHEDULE = {
    # Keeps large tenants' first dashboard view and CMS report within the freshness window.
    "insights-refresh-default-snapshots": {
        "task": "insights.refresh_default_snapshots_all_tenants",
        "schedule": 600.0,
    },
}
