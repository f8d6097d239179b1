"""Clocks on real requests: CMS-0057-F prior-authorization clocks, business-hours task clocks,
reminders and escalations firing once, pausing where the policy says so, extensions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.approvals.exceptions import Conflict, InvalidInput, NotAllowed
from apps.approvals.models import TimelineEntry
from apps.approvals.services import DecisionInput, request_resubmit, task_decide
from apps.sla import notices
from apps.sla.admin_settings import override_save
from apps.sla.extensions import request_extend
from apps.sla.models import Clock, SlaEvent
from apps.sla.policies import effective_policy
from apps.timers.services import timer_fire
from tests.approvals.helpers import pending, submit_capital
from tests.sla.helpers import fire_due, submit_prior_auth, timers_of

WHY = "information_needed"

MONDAY = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture
def sent(monkeypatch):
    """Notices the SLA app asked for (the notifications app is tested on its own)."""
    calls = []
    monkeypatch.setattr(notices, "send", lambda **kwargs: calls.append(kwargs))
    return calls


def kinds(clock):
    return [e.kind for e in SlaEvent.objects.filter(clock=clock)]


@pytest.mark.parametrize(("urgency", "hours"), [("expedited", 72), ("standard", 7 * 24)])
def test_prior_auth_request_clock_follows_cms_0057_f(in_tenant_a, carol, urgency, hours):
    with time_machine.travel(MONDAY, tick=False):
        request = submit_prior_auth(carol, urgency)
    clock = Clock.objects.get(request=request, scope="request")
    assert clock.started_at == MONDAY  # from receipt
    assert clock.due_at == MONDAY + timedelta(hours=hours)
    assert clock.calendar == "calendar"
    request.refresh_from_db()
    assert request.due_at == clock.due_at
    assert kinds(clock) == ["started"]
    rows = sorted((t.kind, t.step) for t in timers_of(clock))
    assert rows == [("breach", 100), ("escalation", 1)] + [("reminder", p) for p in (50, 80, 100)]
    fifty = timers_of(clock).get(kind="reminder", step=50)
    assert fifty.fire_at == MONDAY + timedelta(hours=hours / 2)
    assert fifty.schema_name == "alpha"


def test_prior_auth_defaults_to_cms_clocks_even_without_a_spec_clock():
    for urgency, hours in (("expedited", 72), ("standard", 168)):
        policy = effective_policy(
            workflow_key="pa",
            category="prior_auth",
            step_key="",
            urgency=urgency,
            spec_sla=None,
            overrides={},
        )
        assert policy is not None
        assert (policy.hours, policy.calendar, policy.source) == (hours, "calendar", "cms-0057-f")
    assert (
        effective_policy(
            workflow_key="c", category="capital", step_key="", urgency="standard", spec_sla=None,
            overrides={},
        )
        is None
    )  # fmt: skip


def test_task_clock_runs_on_business_hours(in_tenant_a, carol):
    with time_machine.travel(MONDAY, tick=False):
        request = submit_capital(carol, "9000")
    (task,) = pending(request)
    clock = Clock.objects.get(task=task)
    # 24 business hours from Monday 10:00: Mon 7 + Tue 8 + Wed 8 + Thu 1 -> Thursday 10:00 EST.
    assert clock.due_at == datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
    task.refresh_from_db()
    assert task.due_at == clock.due_at


def test_reminder_fires_once(in_tenant_a, carol, sent):
    with time_machine.travel(MONDAY, tick=False):
        request = submit_capital(carol, "9000")
    (task,) = pending(request)
    clock = Clock.objects.get(task=task)
    fifty = timers_of(clock).get(kind="reminder", step=50)
    fire_at = fifty.fire_at
    assert fire_at == datetime(2026, 1, 13, 19, 0, tzinfo=UTC)  # 12 business hours: Tue 14:00
    assert fire_due(fire_at - timedelta(seconds=1)) == []
    assert [t.pk for t in fire_due(fire_at)] == [fifty.pk]
    assert fire_due(fire_at) == []  # claimed and fired: the sweep does not see it again
    assert timer_fire(timer_id=fifty.pk, now=fire_at) is False  # a duplicate delivery
    assert kinds(clock) == ["started", "reminded"]
    (notice,) = sent
    assert notice["kind"] == "reminder"
    assert [u.email for u in notice["recipients"]] == ["bob@alpha.test"]
    assert notice["extra"]["percent"] == 50


def test_escalation_notifies_the_approvers_manager_once(in_tenant_a, carol, bob, victor, sent):
    bob.manager = victor
    bob.save(update_fields=["manager"])
    with time_machine.travel(MONDAY, tick=False):
        request = submit_capital(carol, "9000")
    (task,) = pending(request)
    clock = Clock.objects.get(task=task)
    late = clock.due_at + timedelta(minutes=1)
    fired = fire_due(late)
    assert sorted((t.kind, t.step) for t in fired) == [
        ("breach", 100), ("escalation", 1), ("reminder", 50), ("reminder", 80), ("reminder", 100)
    ]  # fmt: skip
    escalation = next(t for t in fired if t.kind == "escalation")
    escalation.fired_at = None  # as if a second worker got it after the lease expired
    escalation.save()
    assert timer_fire(timer_id=escalation.pk, now=late) is True
    clock.refresh_from_db()
    assert clock.escalation_level == 1
    assert kinds(clock).count("escalated") == 1
    assert kinds(clock).count("breached") == 1
    assert kinds(clock).count("reminded") == 3
    (escalated,) = [n for n in sent if n["kind"] == "escalated"]
    assert {u.email for u in escalated["recipients"]} == {"victor@alpha.test", "bob@alpha.test"}
    assert TimelineEntry.objects.filter(request=request, kind="sla").count() == 2
    (still,) = pending(request)
    assert still.assignee == bob  # notify only: the task stays with bob


@pytest.mark.parametrize("action", ["reassign", "add_approver"])
def test_breach_action_reassigns_or_adds_an_approver_once(in_tenant_a, alice, carol, action):
    override_save(
        actor=alice, workflow_key="capital-purchase", step_key="director", urgency="standard",
        hours=8, calendar="business", reminders=[], pause_on_needs_info=False,
        escalation_chain=["user:victor@alpha.test"], breach_action=action,
        escalation_interval_hours=24,
    )  # fmt: skip
    with time_machine.travel(MONDAY, tick=False):
        request = submit_capital(carol, "9000")
    (task,) = pending(request)
    clock = Clock.objects.get(task=task)
    assert clock.policy_source == "override"
    late = clock.due_at + timedelta(minutes=1)
    fire_due(late)
    fire_due(late + timedelta(hours=1))
    for timer in timers_of(clock):
        assert timer_fire(timer_id=timer.pk, now=late) is False
    assert kinds(clock).count("escalated") == 1
    assignees = sorted(t.assignee.email for t in pending(request))
    if action == "reassign":
        assert assignees == ["victor@alpha.test"]
        task.refresh_from_db()
        assert task.status == "delegated"
        clock.refresh_from_db()
        assert clock.status == "stopped"
        assert Clock.objects.get(request=request, task__assignee__email="victor@alpha.test")
    else:
        assert assignees == ["bob@alpha.test", "victor@alpha.test"]


def test_clocks_stop_and_timers_go_when_the_task_is_decided(in_tenant_a, carol, bob):
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    clock = Clock.objects.get(task=task)
    assert timers_of(clock).exists()
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    clock.refresh_from_db()
    assert clock.status == "stopped"
    assert not timers_of(clock).exists()
    assert kinds(clock) == ["started", "stopped"]


def _needs_info(bob, request):
    (task,) = pending(request)
    task_decide(
        actor=bob, task=task, decision=DecisionInput("request_info", comment="Send the MRI notes")
    )


def test_needs_info_pauses_only_where_the_policy_says_so(in_tenant_a, alice, bob, carol):
    with time_machine.travel(MONDAY, tick=False):
        unpaused = submit_prior_auth(carol)
        _needs_info(bob, unpaused)
    assert Clock.objects.get(request=unpaused, scope="request").status == "running"

    override_save(
        actor=alice, workflow_key="prior-auth-imaging", step_key="", urgency="standard",
        hours=168, calendar="calendar", reminders=[50, 80, 100], pause_on_needs_info=True,
        escalation_chain=["admins"], breach_action="notify", escalation_interval_hours=24,
    )  # fmt: skip
    with time_machine.travel(MONDAY, tick=False):
        request = submit_prior_auth(carol)
        _needs_info(bob, request)
    clock = Clock.objects.get(request=request, scope="request")
    assert clock.status == "paused"
    assert not timers_of(clock).exists()
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        request_resubmit(actor=carol, approval=request)
    clock.refresh_from_db()
    assert clock.status == "running"
    assert clock.due_at == MONDAY + timedelta(days=9)  # the two paused days are added
    assert kinds(clock) == ["started", "paused", "resumed"]
    assert timers_of(clock).filter(kind="breach").get().fire_at == clock.due_at


def test_extension_moves_the_due_time_with_an_audit_trail(in_tenant_a, alice, carol, sent):
    with time_machine.travel(MONDAY, tick=False):
        request = submit_prior_auth(carol)
    clock = Clock.objects.get(request=request, scope="request")
    old = clock.due_at
    new = old + timedelta(days=14)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        request_extend(
            actor=alice,
            approval=request,
            new_due_at=new,
            reason="Awaiting imaging",
            justification=WHY,
        )
    clock.refresh_from_db()
    request.refresh_from_db()
    assert clock.due_at == request.due_at == new
    event = SlaEvent.objects.get(clock=clock, kind="extended")
    assert (event.actor, event.old_due_at, event.new_due_at) == (alice, old, new)
    assert event.note == "More clinical information is needed. Awaiting imaging"
    entry = TimelineEntry.objects.get(request=request, kind="sla")
    assert entry.actor == alice
    assert "extended the due time" in entry.summary
    assert "Awaiting imaging" in entry.summary
    assert timers_of(clock).get(kind="breach").fire_at == new
    (notice,) = sent
    assert notice["kind"] == "extension"
    assert [u.email for u in notice["recipients"]] == ["carol@alpha.test"]
    assert "Awaiting" not in str(notice["extra"])  # free text stays out of notifications


def test_who_may_extend_and_what_is_refused(in_tenant_a, bob, carol, olivia):
    request = submit_prior_auth(carol)
    clock = Clock.objects.get(request=request, scope="request")
    later = clock.due_at + timedelta(days=1)
    for outsider in (olivia, carol):  # not involved; the requester
        with pytest.raises(NotAllowed):
            request_extend(
                actor=outsider,
                approval=request,
                new_due_at=later,
                reason="why not",
                justification=WHY,
            )
    with pytest.raises(InvalidInput):
        request_extend(actor=bob, approval=request, new_due_at=later, reason=" ", justification=WHY)
    with pytest.raises(InvalidInput):
        request_extend(
            actor=bob,
            approval=request,
            new_due_at=clock.due_at - timedelta(hours=1),
            reason="x",
            justification=WHY,
        )
    request_extend(
        actor=bob, approval=request, new_due_at=later, reason="Peer review", justification=WHY
    )  # queue
    capital = submit_capital(carol, "9000")
    with pytest.raises(Conflict):
        request_extend(
            actor=bob,
            approval=capital,
            new_due_at=later,
            reason="no request clock",
            justification=WHY,
        )


def test_escalation_never_targets_the_holder_even_an_admin(in_tenant_a, alice, carol, sent):
    from apps.approvals.models import Task
    from apps.sla.escalation import _escalate, escalation_targets

    with time_machine.travel(MONDAY, tick=False):
        request = submit_capital(carol, "9000")
    (task,) = pending(request)
    Task.objects.filter(pk=task.pk).update(assignee=alice)  # an administrator holds the task
    clock = Clock.objects.select_related("task__assignee", "request").get(task=task)
    assert alice not in escalation_targets(clock, "admins")

    clock.escalation_chain = ["user:nobody@alpha.test"]  # names nobody: admins are told instead
    clock.save(update_fields=["escalation_chain"])
    _escalate(clock, 1, clock.due_at + timedelta(minutes=1))
    (event,) = SlaEvent.objects.filter(clock=clock, kind="escalated")
    assert "notified" in event.note
    assert alice.full_name not in event.note.partition("notified")[2]
    (escalated,) = [n for n in sent if n["kind"] == "escalated"]
    assert alice in escalated["recipients"]  # told, as the holder, not escalated to


def test_an_extension_needs_a_justification_from_the_list(in_tenant_a, bob, carol):
    request = submit_prior_auth(carol)
    clock = Clock.objects.get(request=request, scope="request")
    for justification in ("", "because"):
        with pytest.raises(InvalidInput) as refused:
            request_extend(actor=bob, approval=request, new_due_at=clock.due_at + timedelta(days=1),
                           reason="Peer review", justification=justification)  # fmt: skip
        assert "justification" in refused.value.fields
    clock.refresh_from_db()
    assert not SlaEvent.objects.filter(clock=clock, kind="extended").exists()


def test_prior_authorization_extensions_stop_14_days_after_the_original_due_time(
    in_tenant_a, bob, carol
):
    request = submit_prior_auth(carol)
    clock = Clock.objects.get(request=request, scope="request")
    original = clock.due_at
    request_extend(actor=bob, approval=request, new_due_at=original + timedelta(days=10),
                   reason="Imaging booked", justification="peer_review")  # fmt: skip
    with pytest.raises(InvalidInput) as refused:  # 10 + 5 > 14, counted from the original
        request_extend(actor=bob, approval=request, new_due_at=original + timedelta(days=15),
                       reason="More time", justification="patient_requested")  # fmt: skip
    assert "new_due_at" in refused.value.fields
    request_extend(actor=bob, approval=request, new_due_at=original + timedelta(days=14),
                   reason="More time", justification="patient_requested")  # fmt: skip
    clock.refresh_from_db()
    assert clock.due_at == original + timedelta(days=14)


def test_other_workflows_use_the_configured_cap(in_tenant_a, bob, carol, settings):
    from apps.sla.extensions import extension_cap

    settings.SLA_EXTENSION_MAX_DAYS = 3
    assert extension_cap(submit_capital(carol, "9000")).days == 3
    assert extension_cap(submit_prior_auth(carol)).days == 14  # the regulation, not the setting
