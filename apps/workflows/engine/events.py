"""Events fed to `advance`: what a person, a system or a timer did to a request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

DECISIONS = ("approve", "reject", "request_info")


@dataclass(frozen=True)
class Submit:
    requester: str
    data: Mapping[str, object]
    urgency: str = "standard"
    department: str | None = None
    # People who must not work this request at all (segregation of duties): for an appeal,
    # everyone who decided the request being appealed.
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decide:
    task_key: str
    actor: str
    decision: str  # "approve" | "reject" | "request_info"
    reason_code: str | None = None
    comment: str = ""
    partial: bool = False
    # What a per-line decision approves in money (engine.lines.approved_total): the authority
    # check applies to it instead of the requested amount.
    approved_amount: Decimal | None = None


@dataclass(frozen=True)
class Withdraw:
    actor: str


@dataclass(frozen=True)
class Resubmit:
    actor: str
    data: Mapping[str, object] | None = None  # the full form; None keeps the current data


@dataclass(frozen=True)
class Delegate:
    task_key: str
    actor: str
    to: str


@dataclass(frozen=True)
class Claim:
    task_key: str
    actor: str


@dataclass(frozen=True)
class Amend:
    actor: str
    data: Mapping[str, object] = field(default_factory=dict)  # the full form


@dataclass(frozen=True)
class Cancel:
    actor: str  # the caller has checked that this is an admin
    reason: str


@dataclass(frozen=True)
class ExpireTask:
    task_key: str


@dataclass(frozen=True)
class ResolveException:
    actor: str  # the caller has checked that this is an admin
    step_key: str
    assignee: str


@dataclass(frozen=True)
class Reassign:
    """The system (an SLA escalation) hands a pending task to someone else."""

    task_key: str
    to: str
    reason: str = ""


@dataclass(frozen=True)
class AddApprover:
    """The system (an SLA escalation) adds an approver to a step that is still open."""

    step_key: str
    assignee: str
    reason: str = ""


PAYER_DECISIONS = ("approve", "reject")


@dataclass(frozen=True)
class PayerDecide:
    """The payer's answer to the request submitted at a payer step: approve (in part, when
    `partial`) or reject with the payer's reason code and text."""

    task_key: str
    decision: str  # "approve" | "reject"
    reason_code: str | None = None
    comment: str = ""
    partial: bool = False


Event = (
    Submit
    | Decide
    | Withdraw
    | Resubmit
    | Delegate
    | Claim
    | Amend
    | Cancel
    | ExpireTask
    | ResolveException
    | Reassign
    | AddApprover
    | PayerDecide
)
