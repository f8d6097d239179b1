"""Beat entries of the notifications app (plain data; config/celery.py collects them)."""

from celery.schedules import crontab

SCHEDULE = {
    "notifications-daily-digest": {
        "task": "notifications.digest_all_tenants",
        "schedule": crontab(hour=7, minute=0),
    },
    "notifications-requeue-stale-emails": {
        "task": "notifications.requeue_stale_all_tenants",
        "schedule": 600.0,
    },
}
