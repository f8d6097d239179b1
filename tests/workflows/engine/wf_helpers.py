"""Shared builders for the engine tests: a small spec, a directory and a runner."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from apps.workflows.engine import (
    Directory,
    Effect,
    Event,
    RequestState,
    WorkflowSpec,
    advance,
    parse_spec,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

REQUESTER = "rita@example.org"
MANAGER = "mike@example.org"
DIRECTOR = "dana@example.org"
CFO = "carl@example.org"
CFO2 = "cora@example.org"
HEAD = "hank@example.org"
BUYER = "bea@example.org"
BUYER2 = "bob@example.org"
OUTSIDER = "olga@example.org"


def step(key: str, approvers: list[str], **extra: Any) -> dict[str, Any]:
    return {"key": key, "name": key.title(), "approvers": approvers, **extra}


def spec_doc(*stages: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": "capital-purchase",
        "name": "Capital purchase",
        "category": "capital",
        "reference_prefix": "CAP",
        "amount_field": "amount",
        "form": {
            "fields": [
                {"name": "amount", "type": "money", "label": "Amount", "required": True},
                {"name": "vendor", "type": "text", "label": "Vendor"},
                {"name": "reviewer", "type": "user", "label": "Reviewer"},
                {
                    "name": "payer",
                    "type": "choice",
                    "label": "Payer",
                    "choices": ["Acme Health", "Other"],
                },
            ]
        },
        "stages": [
            {"key": f"s{i}", "name": f"Stage {i}", "steps": steps} for i, steps in enumerate(stages)
        ],
    }
    doc.update(top)
    return copy.deepcopy(doc)


def make_spec(*stages: list[dict[str, Any]], **top: Any) -> WorkflowSpec:
    return parse_spec(spec_doc(*stages, **top))


def directory(**overrides: Any) -> Directory:
    values: dict[str, Any] = {
        "role_members": {"cfo": (CFO, CFO2), "buyers": (BUYER, BUYER2, REQUESTER)},
        "managers": {REQUESTER: MANAGER, MANAGER: DIRECTOR, DIRECTOR: CFO},
        "department_heads": {"radiology": HEAD},
        "authority_limits": {
            (MANAGER, "capital"): Decimal(10_000),
            (DIRECTOR, "capital"): Decimal(100_000),
            (CFO, "capital"): Decimal(10_000_000),
            (CFO2, "capital"): Decimal(1_000_000),
            (HEAD, "capital"): Decimal(50_000),
            (BUYER, "capital"): Decimal(50_000),
            (BUYER2, "capital"): Decimal(50_000),
        },
    }
    values.update(overrides)
    return Directory(**values)


@dataclass
class Runner:
    """Feeds events to `advance` and keeps the latest state and every effect."""

    spec: WorkflowSpec
    directory: Directory = field(default_factory=directory)
    state: RequestState | None = None
    effects: list[Effect] = field(default_factory=list)
    last: tuple[Effect, ...] = ()

    def __call__(self, event: Event) -> RequestState:
        outcome = advance(self.state, event, spec=self.spec, directory=self.directory, now=NOW)
        self.state, self.last = outcome.state, outcome.effects
        self.effects.extend(outcome.effects)
        return outcome.state

    @property
    def s(self) -> RequestState:
        assert self.state is not None
        return self.state

    def pending(self, step_key: str | None = None) -> list[str]:
        return [
            t.key
            for t in self.s.tasks
            if t.status == "pending" and (step_key is None or t.step_key == step_key)
        ]

    def assignees(self, step_key: str | None = None) -> list[str | None]:
        return [
            t.assignee
            for t in self.s.tasks
            if t.status == "pending" and (step_key is None or t.step_key == step_key)
        ]

    def task_of(self, assignee: str) -> str:
        return next(t.key for t in self.s.tasks if t.status == "pending" and t.assignee == assignee)
