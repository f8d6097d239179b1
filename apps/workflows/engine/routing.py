"""Who works a step: selectors resolved against the directory, then segregation of duties,
authority limits (escalating up the manager chain) and active delegations applied.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .directory import Directory
from .spec import StepSpec


@dataclass(frozen=True)
class Slot:
    """One task to create: a named assignee, or a role queue that a member claims."""

    assignee: str | None
    queue_role: str | None = None
    on_behalf_of: str | None = None
    external: str | None = None  # "payer": nobody here works it, the payer answers


@dataclass(frozen=True)
class Routing:
    """Who is asking, about what, and who must not fill another slot."""

    requester: str
    department: str | None
    data: Mapping[str, object]
    amount: Decimal | None
    category: str
    prior_approvers: Collection[str]  # people who already approved another step
    taken: Collection[str] = ()  # people already given a slot in this stage
    excluded: Collection[str] = ()  # people who must not work this request (an appeal's deniers)


@dataclass(frozen=True)
class Resolution:
    slots: tuple[Slot, ...]
    problem: str | None = None  # set when the step cannot be routed: the exception reason


def resolve_step(
    step: StepSpec, routing: Routing, directory: Directory, now: datetime
) -> Resolution:
    """The slots for `step`, or a problem explaining why nobody can work it."""
    if step.is_payer:
        return Resolution((Slot(None, external="payer"),))
    if step.assignment == "queue":
        return _resolve_queue(step, routing, directory)
    candidates: list[str] = []
    for selector in step.approvers:
        for email in _select(selector, routing, directory):
            if email not in candidates:
                candidates.append(email)
    eligible = [c for c in candidates if not _excluded(c, step, routing, directory)]
    if step.authority and routing.amount is not None:
        escalated: list[str] = []
        for email in eligible:
            qualified = _with_authority(email, step, routing, directory)
            if qualified is not None and qualified not in escalated:
                escalated.append(qualified)
        if eligible and not escalated:
            return Resolution(
                (),
                f'step "{step.key}": no approver or manager up the chain has '
                f"{routing.category} authority for {routing.amount}",
            )
        eligible = escalated
    if not eligible:
        return Resolution(
            (),
            f'step "{step.key}": no eligible approver (selectors '
            f"{', '.join(step.approvers)}; the requester and people who already "
            "approved are excluded)",
        )
    if isinstance(step.quorum, int) and step.quorum > len(eligible):
        return Resolution(
            (),
            f'step "{step.key}": quorum {step.quorum} cannot be met, only '
            f"{len(eligible)} eligible approver(s)",
        )
    return Resolution(
        tuple(_delegated(e, eligible, step, routing, directory, now) for e in eligible)
    )


def _select(selector: str, routing: Routing, directory: Directory) -> tuple[str, ...]:
    kind, _, arg = selector.partition(":")
    found: str | None = None
    if kind == "role":
        return directory.members(arg)
    if kind == "user":
        found = arg
    elif selector == "requester_manager":
        found = directory.manager_of(routing.requester)
    elif selector == "department_head":
        found = directory.head_of(routing.department)
    elif kind == "field":
        value = routing.data.get(arg)
        found = value if isinstance(value, str) and value else None
    return (found,) if found is not None else ()


def _excluded(email: str, step: StepSpec, routing: Routing, directory: Directory) -> bool:
    if email == routing.requester or email in routing.excluded or not directory.is_active(email):
        return True
    if step.allow_repeat_approver:
        return False
    return email in routing.prior_approvers or email in routing.taken


def _has_authority(email: str, routing: Routing, directory: Directory) -> bool:
    return routing.amount is None or directory.limit(email, routing.category) >= routing.amount


def _with_authority(
    email: str, step: StepSpec, routing: Routing, directory: Directory
) -> str | None:
    """`email` if their limit covers the amount, else the nearest manager up the chain who can."""
    if _has_authority(email, routing, directory):
        return email
    seen = {email}
    manager = directory.manager_of(email)
    while manager is not None and manager not in seen:  # a cyclic chain stops here
        seen.add(manager)
        if not _excluded(manager, step, routing, directory) and _has_authority(
            manager, routing, directory
        ):
            return manager
        manager = directory.manager_of(manager)
    return None


def _delegated(
    email: str,
    others: list[str],
    step: StepSpec,
    routing: Routing,
    directory: Directory,
    now: datetime,
) -> Slot:
    """The delegate's slot when `email` has an active delegation the delegate may take."""
    delegation = directory.delegation_for(email, now)
    if delegation is None:
        return Slot(email)
    delegate = delegation.delegate
    if delegate in others or _excluded(delegate, step, routing, directory):
        return Slot(email)  # the delegate may not act here; the original approver keeps the task
    return Slot(delegate, on_behalf_of=email)


def _resolve_queue(step: StepSpec, routing: Routing, directory: Directory) -> Resolution:
    slots = []
    for selector in step.approvers:
        role = selector.partition(":")[2]
        members = [
            m
            for m in directory.members(role)
            if not _excluded(m, step, routing, directory)
            and (not step.authority or _has_authority(m, routing, directory))
        ]
        if not members:
            return Resolution(
                (), f'step "{step.key}": nobody in the "{role}" queue may work this request'
            )
        slots.append(Slot(None, queue_role=role))
    return Resolution(tuple(slots))


def may_take(email: str, step: StepSpec, routing: Routing, directory: Directory) -> bool:
    """Whether `email` may fill a slot of `step` (used for claims and delegations)."""
    return not _excluded(email, step, routing, directory)


def has_authority(email: str, step: StepSpec, routing: Routing, directory: Directory) -> bool:
    return not step.authority or _has_authority(email, routing, directory)


def upward_with_authority(
    email: str, step: StepSpec, routing: Routing, directory: Directory
) -> str | None:
    """`email` when their authority covers the step, else the nearest manager up the chain who
    may fill the slot and has the authority; None when nobody does."""
    if not step.authority:
        return email
    return _with_authority(email, step, routing, directory)
