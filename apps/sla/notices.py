"""The SLA app's one door to notifications; messages carry ids and kinds only, never PHI."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from apps.core.actions import action
from apps.notifications.services import notify

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest, Task

logger = logging.getLogger(__name__)

KINDS = ("reminder", "escalated", "extension", "breached")


def send(
    *,
    kind: str,
    recipients: Iterable[User],
    approval: ApprovalRequest,
    task: Task | None = None,
    mandatory: bool = False,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Ask the notifications app to tell `recipients`; a failure there never undoes the SLA
    action that caused it (it runs in a savepoint and is logged without patient data)."""
    people = list({u.pk: u for u in recipients}.values())
    if not people:
        return
    try:
        with action(actor=None):
            notify(
                kind=kind,
                recipients=people,
                approval=approval,
                task=task,
                mandatory=mandatory,
                extra={key: str(value) for key, value in (extra or {}).items()},
            )
    except Exception:
        logger.exception("%s notice for request %s failed", kind, approval.pk)
