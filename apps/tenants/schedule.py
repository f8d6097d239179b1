"""Beat entries of the tenants app (plain data, read by config/celery.py)."""

SCHEDULE = {
    "tenants-health-refresh": {"task": "tenants.health_refresh", "schedule": 300.0},
    # A safety net: tenant creation already asks for a refill after it commits.
    "tenants-schema-pool-fill": {"task": "tenants.schema_pool_fill", "schedule": 300.0},
}
