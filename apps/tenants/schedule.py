"""Beat entries of the tenants app (plain data, read by config/celery.py)."""

SCHEDULE = {
    "tenants-health-refresh": {"task": "tenants.health_refresh", "schedule": 300.0},
}
