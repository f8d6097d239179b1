"""Beat entries of the integrations app (plain data: config/celery.py merges them)."""

SCHEDULE = {
    "integrations-outbox-sweep": {
        "task": "integrations.outbox_sweep",
        "schedule": 15.0,
        "options": {"expires": 14.0},
    },
}
