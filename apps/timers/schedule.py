"""Beat entries of the timers app (plain data: config/celery.py reads it without Django)."""

SCHEDULE = {
    "timers-sweep-due": {"task": "timers.sweep_due_timers", "schedule": 30.0},
}
