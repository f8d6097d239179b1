"""Actions: the one path every state change takes (in the spirit of Zulip's `do_*` actions).

An entry point (the web and API views, the email-link pages, the partner console and API, a
Celery task, a management command) says which **channel** it is with `entry(...)`, carrying the
request id and the client's address. A writing service then runs its body under
`action(actor=..., channel=...)`, which

- opens the transaction and the audit batch (entries join the hash chain just before commit),
- sets the audit context from the service's own `actor` (a person, or a named `SystemActor`
  for timers, sweeps, retention and imports: never blank) and the channel,
- runs side effects after commit (`after_commit`, or handlers registered with
  `apps.approvals.effects`, which schedule network work with `transaction.on_commit`).

Nothing here guesses who acted from the HTTP request: the service knows, and says so.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

from apps.core.context import request_id_var

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)


class Channel(StrEnum):
    """How an action reached us. Recorded on every audit entry and every decision."""

    WEB = "web"
    API = "api"
    EMAIL_LINK = "email_link"
    PARTNER_CONSOLE = "partner_console"
    PARTNER_API = "partner_api"
    WORKER = "worker"
    COMMAND = "command"
    IMPORT = "import"
    PAYER = "payer"  # a payer's answer to a prior authorization we submitted
    SCIM = "scim"  # a directory (Entra ID, Okta) provisioning through /scim/v2/
    SSO = "sso"  # a sign-in through the tenant's identity provider (apps.identity)


@dataclass(frozen=True)
class SystemActor:
    """Work that no person did, under a name that says which part of the system did it."""

    name: str

    @property
    def pk(self) -> None:
        return None

    @property
    def email(self) -> str:
        return f"system:{self.name}"

    @property
    def full_name(self) -> str:
        return f"Countersign ({self.name})"

    is_authenticated = False
    is_tenant_admin = False

    def __str__(self) -> str:
        return self.email


# The system's named actors. A task or command that is not one of these names itself.
TIMERS = SystemActor("timers")
SLA = SystemActor("sla")
RETENTION = SystemActor("retention")
PROVISIONING = SystemActor("provisioning")
DELIVERY = SystemActor("delivery")
PAYER = SystemActor("payer")  # the payer's answer deciding a payer step
SCRIPT = SystemActor("script")  # code run outside any entry point (a shell, a test)

Actor = "User | SystemActor"


@dataclass(frozen=True)
class Origin:
    """Where the current unit of work came in: set once by its entry point."""

    channel: Channel
    request_id: str
    ip: str | None = None
    support_session: str = ""
    system_actor: SystemActor = SCRIPT  # who acts when a service is handed no person


@dataclass(frozen=True)
class ActionContext:
    """Who is acting, through which channel, for the audit entries written right now."""

    actor_id: int | None
    actor_email: str
    channel: str
    request_id: str
    ip: str | None = None
    support_session: str = ""
    user: Any = None  # the acting User, for django-auditlog's own rows (None for the system)


_origin: ContextVar[Origin | None] = ContextVar("countersign_origin", default=None)
_action: ContextVar[ActionContext | None] = ContextVar("countersign_action", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def entry(
    channel: Channel,
    *,
    request_id: str | None = None,
    ip: str | None = None,
    support_session: str = "",
    system_actor: SystemActor | None = None,
) -> Iterator[Origin]:
    """Declare the channel of the work inside (an HTTP request, a task, a command run)."""
    origin = Origin(
        channel=channel,
        request_id=request_id or _ambient_request_id() or new_request_id(),
        ip=ip,
        support_session=support_session,
        system_actor=system_actor or SCRIPT,
    )
    token = _origin.set(origin)
    request_token = request_id_var.set(origin.request_id)
    try:
        yield origin
    finally:
        request_id_var.reset(request_token)
        _origin.reset(token)


def switch_channel(channel: Channel) -> None:
    """An entry point that learns its channel late (DRF views, once the key is authenticated)
    narrows the origin its HTTP layer declared. Only valid inside `entry()`."""
    origin = _origin.get()
    if origin is None:
        raise RuntimeError("switch_channel() outside entry()")
    _origin.set(replace(origin, channel=channel))


def current_origin() -> Origin:
    """The current entry point's origin; outside any entry point, a script's."""
    origin = _origin.get()
    if origin is not None:
        return origin
    return Origin(channel=Channel.COMMAND, request_id=_ambient_request_id() or "")


def current_action() -> ActionContext | None:
    return _action.get()


def _ambient_request_id() -> str:
    value = request_id_var.get()
    return "" if value == "-" else value


def context_for(actor: Any, channel: Channel | str | None = None) -> ActionContext:
    """The audit context of `actor` acting now: a User, a SystemActor, or None (the enclosing
    action's actor, else the entry point's system actor)."""
    origin = current_origin()
    outer = _action.get()
    if actor is None:
        if outer is not None and channel is None:
            return outer
        actor = origin.system_actor
    request_id = origin.request_id or new_request_id()
    is_person = not isinstance(actor, SystemActor)
    return ActionContext(
        actor_id=actor.pk if is_person else None,
        actor_email=(actor.email or f"user:{actor.pk}") if is_person else actor.email,
        channel=str(channel or (outer.channel if outer else origin.channel)),
        request_id=request_id,
        ip=origin.ip,
        support_session=origin.support_session,
        user=actor if is_person else None,
    )


@contextmanager
def acting(actor: Any, channel: Channel | str | None = None) -> Iterator[ActionContext]:
    """Set the audit context without opening a transaction (for reads that are audited, such
    as PHI access, and for code that already runs inside an action's transaction)."""
    context = context_for(actor, channel)
    token = _action.set(context)
    try:
        yield context
    finally:
        _action.reset(token)


@contextmanager
def action(*, actor: Any, channel: Channel | str | None = None) -> Iterator[ActionContext]:
    """Run a writing service's body: one transaction, one audit batch, the actor's context.

    Nested actions join the outer transaction (a savepoint) and may name another actor (a
    system event inside a person's action). Raise to roll everything back.
    """
    from apps.audit.services import audit_batch
    from apps.core.postgres.clusters import directory_atomic

    # On a tenant cluster other than the directory's, the directory rows of the action (timer
    # index) get their own transaction, committed just before the tenant's.
    with (
        acting(actor, channel) as context,
        transaction.atomic(),
        directory_atomic(),
        audit_batch(),
    ):
        yield context


def action_service(service: Callable[P, R]) -> Callable[P, R]:
    """Run a whole service under `action()`, with the `actor` (and `channel`, if any) it was
    called with: for services whose body is one action from top to bottom."""

    @wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        channel = kwargs.get("channel")
        with action(actor=kwargs.get("actor"), channel=channel if channel else None):  # type: ignore[arg-type]
            return service(*args, **kwargs)

    return wrapper


def after_commit(effect: Callable[[], object]) -> None:
    """Run `effect` once the current action's transaction has committed (never if it rolls
    back). Network work (email, webhooks, ERP) goes here, never inside the transaction."""
    transaction.on_commit(effect)


# --- lock conflicts -------------------------------------------------------------------------

# PostgreSQL's deadlock_detected, lock_not_available and serialization_failure.
RETRYABLE_SQLSTATES = {"40P01", "55P03", "40001"}

P = ParamSpec("P")
R = TypeVar("R")


def is_lock_conflict(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        if getattr(cause, "pgcode", None) in RETRYABLE_SQLSTATES:
            return True
        cause = cause.__cause__
    return False


def retry_lock_conflict(service: Callable[P, R]) -> Callable[P, R]:
    """Run a whole service again once when PostgreSQL broke a lock conflict (a deadlock with
    another channel's action); a second conflict is answered as `Conflict(code="busy")`, never
    as a server error. Only the outermost call retries: inside a caller's transaction the
    conflict belongs to the caller."""

    @wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            return service(*args, **kwargs)
        try:
            return service(*args, **kwargs)
        except OperationalError as error:
            if not is_lock_conflict(error):
                raise
            logger.info("lock conflict in %s; retrying once", service.__name__)
        try:
            return service(*args, **kwargs)
        except OperationalError as error:
            if not is_lock_conflict(error):
                raise
            from apps.core.errors import CommonCode, Conflict

            raise Conflict(
                "Someone else changed this at the same moment. Reload to see where it stands.",
                code=CommonCode.BUSY,
            ) from error

    return wrapper
