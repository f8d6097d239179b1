"""The timer index: claiming with a lease and SKIP LOCKED, dispatch, idempotent firing."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from apps.timers import handlers
from apps.timers.models import Timer
from apps.timers.services import timer_fire, timers_cancel, timers_claim_due, timers_sweep

NOW = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)


def make(schema="alpha", fire_at=NOW, **extra):
    return Timer.objects.create(
        schema_name=schema, object_kind="test", object_id=1, kind="reminder", fire_at=fire_at,
        **extra,
    )  # fmt: skip


@pytest.fixture
def fired(monkeypatch):
    calls = []
    monkeypatch.setitem(handlers._handlers, "test", lambda timer, now: calls.append(timer.pk))
    return calls


def test_claim_takes_due_unclaimed_rows_with_a_lease(db):
    due = make()
    make(fire_at=NOW + timedelta(minutes=1))  # not yet due
    make(fired_at=NOW)  # already fired
    make(claimed_until=NOW + timedelta(minutes=2))  # someone holds the lease
    expired = make(claimed_until=NOW - timedelta(seconds=1))  # their lease ran out
    claimed = timers_claim_due(now=NOW)
    assert sorted(t.pk for t in claimed) == sorted([due.pk, expired.pk])
    due.refresh_from_db()
    assert due.claimed_until == NOW + timedelta(minutes=5)
    assert due.attempts == 1
    assert timers_claim_due(now=NOW) == []  # leased
    later = {t.pk for t in timers_claim_due(now=NOW + timedelta(minutes=6))}
    assert {due.pk, expired.pk} <= later  # their leases expired: claimed again


def test_sweep_dispatches_every_tenants_timers_in_one_pass(db):
    for index in range(30):
        make(schema=f"tenant_{index % 7}")
    batches = []
    assert timers_sweep(now=NOW, dispatch=batches.append) == 30
    assert sum(len(b) for b in batches) == 30
    assert timers_sweep(now=NOW, dispatch=batches.append) == 0


@pytest.mark.slow
def test_concurrent_sweeps_never_claim_the_same_timer(django_db_setup, open_db):
    ids = [make(schema="bench_x").pk for _ in range(200)]
    claimed: list[list[int]] = []
    start = threading.Barrier(4)

    def sweep() -> None:
        try:
            start.wait()
            mine: list[int] = []
            while batch := timers_claim_due(now=NOW, limit=10):
                mine.extend(t.pk for t in batch)
            claimed.append(mine)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=sweep) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        every = [pk for mine in claimed for pk in mine]
        assert sorted(every) == sorted(ids)  # each exactly once
    finally:
        Timer.objects.filter(schema_name="bench_x").delete()


def test_firing_is_idempotent_and_schema_checked(db, fired):
    timer = make(schema=connection.schema_name)
    assert timer_fire(timer_id=timer.pk, now=NOW) is True
    assert timer_fire(timer_id=timer.pk, now=NOW) is False
    assert fired == [timer.pk]
    timer.refresh_from_db()
    assert timer.fired_at == NOW
    other = make(schema="someone_else")
    assert timer_fire(timer_id=other.pk, now=NOW) is False  # never fired in the wrong schema
    assert timer_fire(timer_id=999_999_999, now=NOW) is False
    assert fired == [timer.pk]


def test_a_failing_handler_leaves_the_timer_for_a_retry(db, monkeypatch):
    def boom(timer, now):
        raise RuntimeError("worker crashed")

    monkeypatch.setitem(handlers._handlers, "test", boom)
    timer = make(schema=connection.schema_name)
    with pytest.raises(RuntimeError), transaction.atomic():
        timer_fire(timer_id=timer.pk, now=NOW)
    timer.refresh_from_db()
    assert timer.fired_at is None


def test_cancel_drops_only_unfired_timers_of_the_object(db):
    schema = connection.schema_name
    keep_fired = make(schema=schema, fired_at=NOW)
    drop = make(schema=schema)
    other = Timer.objects.create(
        schema_name=schema, object_kind="test", object_id=2, kind="breach", fire_at=NOW
    )
    assert timers_cancel(object_kind="test", object_ids=[1]) == 1
    assert set(Timer.objects.values_list("pk", flat=True)) >= {keep_fired.pk, other.pk}
    assert not Timer.objects.filter(pk=drop.pk).exists()
