"""Deactivating someone hands their open tasks to their manager, or reports the ones that
cannot move; nothing is approved or dropped."""

from apps.accounts.user_admin import user_deactivate
from apps.approvals.services import DecisionInput, task_decide
from tests.approvals.helpers import pending, submit_capital


def test_open_tasks_go_to_the_manager(in_tenant_a, alice, bob, carol, frank):
    bob.manager = frank
    bob.save(update_fields=["manager"])
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    assert task.assignee == bob
    result = user_deactivate(actor=alice, user=bob)
    (new_task,) = pending(request)
    assert new_task.assignee == frank
    assert (task, frank) in result.moved
    assert task not in result.open_tasks
    task.refresh_from_db()
    assert task.status == "delegated"
    task_decide(actor=frank, task=new_task, decision=DecisionInput("approve"))
    request.refresh_from_db()
    assert request.status == "approved"


def test_tasks_without_a_manager_are_reported_not_moved(in_tenant_a, alice, bob, carol):
    bob.manager = None
    bob.save(update_fields=["manager"])
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    result = user_deactivate(actor=alice, user=bob)
    assert result.moved == []
    assert task in result.open_tasks
    request.refresh_from_db()
    assert request.status == "in_review"
    assert pending(request)[0].assignee == bob


def test_the_manager_cannot_be_the_requester(in_tenant_a, alice, bob, carol):
    bob.manager = carol  # the manager is the requester of the request bob holds
    bob.save(update_fields=["manager"])
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    result = user_deactivate(actor=alice, user=bob)
    assert all(moved is not task for moved, _ in result.moved)
    assert task in result.open_tasks
    assert pending(request)[0].assignee == bob
