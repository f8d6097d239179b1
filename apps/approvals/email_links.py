"""The email-link channel of approvals: an approver decides a task from the one-time link
emailed to them. Notifications mints and sends the links; deciding is approvals' business.

Lock order (the same as the web page's and the API's): the request row, then its task rows,
then the link's token. The token is looked up once without a lock only to learn which request
to lock and who the approver is; it is checked again under its lock before it is used.
"""

from __future__ import annotations

from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.models import Decision
from apps.approvals.services import DecisionInput, request_lock, task_decide, tasks_lock
from apps.core.actions import Channel, action, retry_lock_conflict
from apps.notifications.exceptions import LinkRevoked, LinkWrongTask, SignInRequired
from apps.notifications.selectors import action_link_lookup, sign_in_needed


@retry_lock_conflict
def email_link_decide(
    *, token: str, task_id: int, decision: DecisionInput, user: User | None
) -> Decision:
    """Decide the link's task as the approver it was issued to (channel email_link). The link
    is marked used in the same transaction as the decision; an incomplete decision rolls both
    back. A link whose task was decided meanwhile raises `LinkRevoked` (or `LinkUsed`)."""
    link = action_link_lookup(token)
    if link.task_id != task_id:
        raise LinkWrongTask()
    if sign_in_needed(link, user):
        raise SignInRequired()
    approver = link.approver
    with action(actor=approver, channel=Channel.EMAIL_LINK):
        approval = request_lock(link.task.request)
        tasks = tasks_lock(approval)
        link = action_link_lookup(token, for_update=True)
        task = tasks.get(link.task_id)
        if task is None or link.approver_id != approver.pk:
            raise LinkRevoked()
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        return task_decide(actor=approver, task=task, decision=decision, channel=Channel.EMAIL_LINK)
