"""The worker's share of a transaction: one task per committed transaction, carrying every
kind's ids; nothing for a rolled-back part; a failing kind handed to its fallback."""

from __future__ import annotations

import pytest
from django.db import transaction

from apps.core import worker_share
from tests.notifications.fixtures import eager_celery  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def probes():
    calls: list[tuple[str, list[object]]] = []

    def failing(ids: list[object]) -> None:
        calls.append(("broken", ids))
        raise ConnectionError("peer down")

    def record(name: str):
        return lambda ids: calls.append((name, ids))

    worker_share.worker_kind(
        "probe", run=record("probe"), fallback=record("probe-fallback"), actor="probe", order=1
    )
    worker_share.worker_kind(
        "broken", run=failing, fallback=record("broken-fallback"), actor="broken", order=2
    )
    yield calls
    worker_share._kinds.pop("probe")
    worker_share._kinds.pop("broken")


def _shares(callbacks) -> int:
    return sum(isinstance(getattr(c, "__self__", None), worker_share._Share) for c in callbacks)


@pytest.mark.usefixtures("eager_celery")
def test_one_task_per_transaction_with_every_kind(probes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        worker_share.worker_later("probe", [1])
        worker_share.worker_later("probe", [2])
        worker_share.worker_later("broken", [3])
        worker_share.worker_later("probe", [])  # nothing to do: no entry
    assert _shares(callbacks) == 1
    assert probes == [("probe", [1, 2]), ("broken", [3]), ("broken-fallback", [3])]


@pytest.mark.usefixtures("eager_celery")
def test_a_rolled_back_savepoint_takes_its_share_with_it(
    probes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                worker_share.worker_later("probe", [1])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        worker_share.worker_later("probe", [2])
    assert _shares(callbacks) == 1
    assert probes == [("probe", [2])]


def test_an_unknown_kind_is_refused():
    with pytest.raises(LookupError):
        worker_share.worker_later("no-such-kind", [1])


def test_a_decision_sends_one_task_for_its_email_and_events(tenant_a, carol, bob):
    """The test's transaction never commits: the request's submission and its decision are
    one transaction here, so they share one task."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from apps.approvals.services import DecisionInput, task_decide
    from tests.approvals.helpers import pending, submit_capital

    with tenant_context(tenant_a):
        (task,) = pending(submit_capital(carol, "9000"))
        task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    shares = [entry[1] for entry in connection.run_on_commit]
    shares = [
        c.__self__ for c in shares if isinstance(getattr(c, "__self__", None), worker_share._Share)
    ]
    assert len(shares) == 1
    assert {"email", "outbox"} <= set(shares[0].work)
