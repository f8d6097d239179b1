"""Beat entries of the audit app (plain data; config/celery.py collects them): every chain is
checkpointed every AUDIT_CHECKPOINT_MINUTES (default 5)."""

from config.env import env_int

SCHEDULE = {
    "audit-checkpoint-all": {
        "task": "audit.checkpoint_all_tenants",
        "schedule": 60.0 * env_int("AUDIT_CHECKPOINT_MINUTES", 5, minimum=1),
    },
}
