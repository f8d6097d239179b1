"""Beat entries of the integrations app (plain data: config/celery.py merges them)."""

SCHEDULE = {
    "integrations-outbox-sweep": {
        "task": "integrations.outbox_sweep",
        "schedule": 15.0,
        "options": {"expires": 14.0},
    },
    # ERP postings left behind while the broker or a worker was down go out again.
    "erp-resume-postings": {
        "task": "erp.resume_postings_all_tenants",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    # Payer submissions: lost sends, due retries and the `$inquire` follow-up of pended ones.
    "payers-resume-submissions": {
        "task": "payers.resume_submissions_all_tenants",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
}
