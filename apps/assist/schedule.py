"""Beat entries of the assist app (plain data; config/celery.py collects them)."""

from celery.schedules import crontab

SCHEDULE = {
    # Nightly, after the day's decisions; a tenant below the history threshold is a no-op.
    "assist-risk-retrain": {
        "task": "assist.risk_retrain_all_tenants",
        "schedule": crontab(hour=2, minute=30),
    },
}
