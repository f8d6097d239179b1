"""Synthetic request history for the benchmarks: N decided and open requests in one tenant,
generated inside PostgreSQL (`INSERT … SELECT generate_series`), so 1M requests take minutes,
not hours.

Shape (deterministic: `setseed` fixes PostgreSQL's random()): two workflows (imaging prior
authorization and capital purchase), 200 requesters, 20 approvers of whom 10 are also in the
"bench-queue" role; 85 % standard and 15 % expedited; 70 % approved, 15 % denied, 5 % partially
approved and 10 % still in review. Each request has one review task (pending ones are assigned
to an approver, or one in five left unclaimed in the queue), a decision when it is closed, a
request-level SLA clock of 7 days, and one in twenty an "extended" SLA event. Submission times
spread over 2025; cycle times are log-normal (median ≈ 20 h).

Each size lives in its own tenant (`bench-<N>`) of the database countersign_bench_data; the
generator is additive, so rerunning adds only what is missing.
Used by bench/insights.py and bench/inbox.py.
"""

from __future__ import annotations

import sys
import time

PREFIX = "BN-"
REQUESTERS = 200
APPROVERS = 20
QUEUE_ROLE = "bench-queue"
PASSWORD = "bench-password-123"  # noqa: S105 (scratch users of a benchmark)
CHUNK = 250_000


def tenant_ensure(requests: int):
    """The scratch tenant that holds `requests` requests (created once by cloning the template,
    like any tenant; one tenant per size, so the sizes can be measured side by side)."""
    from apps.tenants.models import Tenant
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        template_schema_ensure,
        tenant_create,
    )

    template_schema_ensure()
    platform_ensure()
    partner = partner_ensure(name="Bench", slug="bench-partner")
    slug = f"bench-{requests}"
    return Tenant.objects.filter(slug=slug).first() or tenant_create(
        partner=partner, slug=slug, name=f"Bench {requests:,} requests", branding={}
    )


def _user(email: str, name: str, **fields: object):
    from apps.accounts.models import User

    return User.objects.filter(email=email).first() or User.objects.create_user(
        email, PASSWORD, full_name=name, **fields
    )


def people_ensure() -> dict:
    """Users and the queue role; returns their ids by kind (call inside the tenant)."""
    from apps.people.models import Role

    requesters = [_user(f"req{i}@bench.test", f"Requester {i}") for i in range(REQUESTERS)]
    approvers = [_user(f"ap{i}@bench.test", f"Approver {i}") for i in range(APPROVERS)]
    admin = _user("admin@bench.test", "Bench Admin", is_tenant_admin=True)
    role, _ = Role.objects.get_or_create(key=QUEUE_ROLE, defaults={"name": "Bench queue"})
    role.members.add(*approvers[: APPROVERS // 2])
    return {
        "requesters": [u.pk for u in requesters],
        "approvers": [u.pk for u in approvers],
        "admin": admin.pk,
        "role": role.pk,
    }


def _versions() -> list[int]:
    from apps.workflows.models import WorkflowDefinition
    from apps.workflows.services import template_pack_install

    template_pack_install(actor=None)
    return [
        WorkflowDefinition.objects.get(key=key).current_version_id
        for key in ("prior-auth-imaging", "capital-purchase")
    ]


def _reason_code() -> int:
    from apps.approvals.models import ReasonCode

    reason = ReasonCode.objects.first() or ReasonCode.objects.create(
        code="not-medically-necessary", label="Not medically necessary"
    )
    return reason.pk


REQUESTS_SQL = """
INSERT INTO approvals_approvalrequest (reference, workflow_version_id, requester_id, urgency,
    status, data, engine_state, exception_reason, touchless, due_at, created_at, submitted_at,
    completed_at, updated_at)
SELECT %(prefix)s || lpad(g::text, 8, '0'),
       (%(versions)s::bigint[])[1 + g %% 2],
       (%(requesters)s::bigint[])[1 + floor(r_req * %(n_requesters)s)::int],
       CASE WHEN r_urg < 0.15 THEN 'expedited' ELSE 'standard' END,
       status,
       jsonb_build_object('member_id', 'M' || floor(r_member * 20000)::int, 'cpt_code', '72148'),
       '{}'::jsonb, '', r_touch < 0.1,
       submitted + interval '7 days',
       submitted, submitted,
       CASE WHEN status = 'in_review' THEN NULL ELSE submitted + make_interval(secs => secs) END,
       submitted
FROM (
    SELECT g, random() AS r_req, random() AS r_urg, random() AS r_member, random() AS r_touch,
           timestamptz '2025-01-01 00:00+00' + random() * interval '365 days' AS submitted,
           CASE WHEN s < 0.70 THEN 'approved' WHEN s < 0.85 THEN 'denied'
                WHEN s < 0.90 THEN 'partially_approved' ELSE 'in_review' END AS status,
           -- log-normal hours (mu 3, sigma 0.8) by Box-Muller
           3600 * exp(3 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS secs
    FROM (SELECT g, random() AS s FROM generate_series(%(first)s, %(last)s) AS g) AS numbered
) AS drawn
"""

TASKS_SQL = """
INSERT INTO approvals_task (request_id, key, step_key, step_name, stage_index, assignee_id,
    queue_role_id, on_behalf_of_id, status, due_at, created_at, closed_at)
SELECT r.id, 'review', 'review', 'Review', 0,
       CASE WHEN r.completed_at IS NULL AND random() < 0.2 THEN NULL
            ELSE (%(approvers)s::bigint[])[1 + floor(random() * %(n_approvers)s)::int] END,
       %(role)s, NULL,
       CASE WHEN r.completed_at IS NULL THEN 'pending'
            WHEN r.status = 'denied' THEN 'rejected' ELSE 'approved' END,
       r.due_at, r.submitted_at, r.completed_at
FROM approvals_approvalrequest r
WHERE r.id > %(after)s AND r.reference LIKE %(like)s
"""

DECISIONS_SQL = """
INSERT INTO approvals_decision (task_id, request_id, actor_id, outcome, reason_code_id, comment,
    partial, decided_at, channel)
SELECT t.id, r.id, t.assignee_id,
       CASE WHEN r.status = 'denied' THEN 'reject' ELSE 'approve' END,
       CASE WHEN r.status = 'denied' THEN %(reason)s END, '',
       r.status = 'partially_approved', t.closed_at, 'web'
FROM approvals_task t JOIN approvals_approvalrequest r ON r.id = t.request_id
WHERE r.id > %(after)s AND r.reference LIKE %(like)s AND t.closed_at IS NOT NULL
"""

CLOCKS_SQL = """
INSERT INTO sla_clock (request_id, scope, step_key, urgency, policy_source, hours, calendar,
    reminders, reminders_sent, pause_on_needs_info, escalation_chain, breach_action,
    escalation_interval_hours, status, started_at, due_at, total_seconds, breached_at,
    escalation_level, generation, stopped_at)
SELECT r.id, 'request', '', r.urgency, 'bench', 168, 'calendar', '[]', '[]', false, '[]',
       'notify', 24, CASE WHEN r.completed_at IS NULL THEN 'running' ELSE 'stopped' END,
       r.submitted_at, r.submitted_at + interval '7 days', 604800,
       CASE WHEN r.completed_at > r.submitted_at + interval '7 days'
            THEN r.submitted_at + interval '7 days' END,
       0, 0, r.completed_at
FROM approvals_approvalrequest r
WHERE r.id > %(after)s AND r.reference LIKE %(like)s
"""

EVENTS_SQL = """
INSERT INTO sla_slaevent (clock_id, kind, at, note)
SELECT c.id, 'extended', c.started_at + interval '1 day', ''
FROM sla_clock c
WHERE c.id > %(after_clock)s AND c.policy_source = 'bench' AND c.id %% 20 = 0
"""


def requests_ensure(n: int, *, seed: float = 0.57) -> tuple[int, float]:
    """Grow the current tenant's synthetic history to `n` requests; returns (added, seconds)."""
    from django.db import connection, transaction

    from apps.approvals.models import ApprovalRequest
    from apps.sla.models import Clock

    people = people_ensure()
    versions = _versions()
    reason = _reason_code()
    have = ApprovalRequest.objects.filter(reference__startswith=PREFIX).count()
    if have >= n:
        return 0, 0.0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed * (1 + have / max(n, 1)) % 1])
    first = have + 1
    while first <= n:
        last = min(first + CHUNK - 1, n)
        with transaction.atomic(), connection.cursor() as cursor:
            after = ApprovalRequest.objects.order_by("-pk").values_list("pk", flat=True).first()
            after_clock = Clock.objects.order_by("-pk").values_list("pk", flat=True).first()
            params = {
                "prefix": PREFIX,
                "like": PREFIX + "%",
                "versions": versions,
                "requesters": people["requesters"],
                "n_requesters": len(people["requesters"]),
                "approvers": people["approvers"],
                "n_approvers": len(people["approvers"]),
                "role": people["role"],
                "reason": reason,
                "first": first,
                "last": last,
                "after": after or 0,
                "after_clock": after_clock or 0,
            }
            for sql in (REQUESTS_SQL, TASKS_SQL, DECISIONS_SQL, CLOCKS_SQL, EVENTS_SQL):
                cursor.execute(sql, params)
        print(f"  … {last:,} requests ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        first = last + 1
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return n - have, time.perf_counter() - started
