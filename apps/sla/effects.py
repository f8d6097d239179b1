"""The SLA effect handler: starts, stops, pauses and resumes clocks as an approval changes state.

It runs inside the approvals service's transaction, after the request, its tasks and its timeline
are written (registered in `apps.sla.apps`).
"""

from __future__ import annotations

import functools

from apps.approvals import effects as approval_effects
from apps.audit.known import audit_known
from apps.sla.clocks import clock_pause, clock_resume, clock_start, clock_stop
from apps.sla.models import (
    Clock,
    ClockStatus,
    SlaOverride,
)
from apps.sla.policies import EffectivePolicy, effective_policy
from apps.workflows import engine

# --- the effect handler ---------------------------------------------------------------------------


def on_state_change(change: approval_effects.StateChange) -> None:
    """Start, stop, pause and resume clocks for one applied engine outcome."""
    request, spec, now = change.request, change.spec, change.now
    created = [e for e in change.effects if isinstance(e, engine.CreateTask)]
    clock_effects = (engine.StopClock, engine.PauseClock, engine.ResumeClock, engine.StatusChanged)
    if (
        not created
        and not isinstance(change.event, engine.Submit)
        and not any(isinstance(e, clock_effects) for e in change.effects)
    ):
        return

    @functools.cache  # read when a policy is first needed (a plain approval needs none)
    def overrides() -> dict[tuple[str, str, str], SlaOverride]:
        return {
            (o.workflow_key, o.step_key, o.urgency): o
            for o in SlaOverride.objects.filter(workflow_key=spec.key)
        }

    def policy_for(step_key: str, sla: engine.SlaSpec | None) -> EffectivePolicy | None:
        return effective_policy(
            workflow_key=spec.key,
            category=spec.category,
            step_key=step_key,
            urgency=request.urgency,
            spec_sla=sla,
            overrides=overrides(),
        )

    if isinstance(change.event, engine.Submit):  # the request clock runs from receipt
        request_sla = spec.sla.for_urgency(request.urgency) if spec.sla else None
        policy = policy_for("", request_sla)
        if policy is not None:
            clock_start(approval=request, task=None, step_key="", policy=policy, now=now)

    tasks = change.tasks if created else {}
    open_clocks: list[Clock] = list(
        Clock.objects.select_for_update(of=("self",))
        .select_related("task", "business_calendar")
        .filter(request=request)
        .exclude(status=ClockStatus.STOPPED)
    )
    for clock in open_clocks:
        clock.request = request  # the locked row in hand; the audit trail reads its reference
    audit_known(*open_clocks)  # diffed against these rows, not read again

    def matching(scope: str, task_key: str | None) -> list[Clock]:
        return [
            c
            for c in open_clocks
            if c.scope == scope and (scope == "request" or (c.task and c.task.key == task_key))
        ]

    for effect in change.effects:
        if isinstance(effect, engine.CreateTask):
            task = tasks.get(effect.task_key)
            policy = policy_for(effect.step_key, effect.sla)
            if task is not None and policy is not None:
                open_clocks.append(
                    clock_start(
                        approval=request,
                        task=task,
                        step_key=effect.step_key,
                        policy=policy,
                        now=now,
                    )
                )
        elif isinstance(effect, engine.StopClock):
            for clock in matching(effect.scope, effect.task_key):
                clock_stop(clock=clock, now=now, actor=change.actor)
        elif isinstance(effect, engine.PauseClock):
            for clock in matching(effect.scope, effect.task_key):
                clock_pause(clock=clock, now=now, actor=change.actor, note="needs information")
        elif isinstance(effect, engine.ResumeClock):
            for clock in matching(effect.scope, effect.task_key):
                clock_resume(clock=clock, now=now, actor=change.actor)
        elif isinstance(effect, engine.StatusChanged):
            # Policies (admin overrides included) decide which clocks pause while the request
            # waits for the requester; pausing and resuming are idempotent.
            for clock in open_clocks:
                if not clock.pause_on_needs_info:
                    continue
                if effect.new == "needs_info":
                    clock_pause(clock=clock, now=now, actor=change.actor, note="needs information")
                elif effect.old == "needs_info":
                    clock_resume(clock=clock, now=now, actor=change.actor)
