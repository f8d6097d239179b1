"""Moving a person's open tasks to others when they leave or change role (user administration)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.accounts.models import User
from apps.approvals.choices import TaskStatus
from apps.approvals.exceptions import (
    ApprovalError,
    NotAllowed,
)
from apps.approvals.models import (
    Task,
)
from apps.approvals.services import request_apply_system_event
from apps.core.actions import SystemActor
from apps.workflows import engine


@dataclass(frozen=True)
class Reassignment:
    """What happened to the open tasks of someone who left: moved, or left for an admin."""

    moved: list[tuple[Task, User]]
    stranded: list[tuple[Task, str]]


def tasks_reassign_from(*, actor: User | SystemActor, person: User) -> Reassignment:
    """Hand every pending task of `person` (being deactivated) to their manager. A task the
    manager may not take (the requester, authority, one slot per person) stays where it is and
    is reported, so an administrator can route it by hand; nothing is approved on its own."""
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can reassign someone's tasks.")
    manager = person.manager if person.manager is not None and person.manager.is_active else None
    moved: list[tuple[Task, User]] = []
    stranded: list[tuple[Task, str]] = []
    pending = Task.objects.filter(assignee=person, status=TaskStatus.PENDING).select_related(
        "request"
    )
    for task in pending:
        if manager is None:
            stranded.append((task, f"{person.full_name} has no active manager."))
            continue
        try:
            request_apply_system_event(
                actor=actor,
                approval=task.request,
                event=engine.Reassign(
                    task_key=task.key, to=manager.email, reason="assignee deactivated"
                ),
            )
        except ApprovalError as error:
            stranded.append((task, error.message))
        else:
            moved.append((task, manager))
    return Reassignment(moved=moved, stranded=stranded)
