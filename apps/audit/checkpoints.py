"""Signed checkpoints of a schema's audit chain, kept outside the database.

A checkpoint is one JSON file (schema, sequence, head hash, time) signed with Ed25519
(`apps.audit.signing`), written to `AUDIT_CHECKPOINT_DIR/<schema>/<day>/` on a schedule and on
demand. Someone who can rewrite the database (a superuser switching the triggers off) can delete
the newest entries and move the chain head back to match, but cannot sign a checkpoint:
`audit_verify` compares the chain with the newest one and names what is missing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.audit.chain import GENESIS
from apps.audit.exceptions import AuditCode
from apps.audit.models import AuditChainHead, AuditEntry
from apps.audit.signing import sign, signature_valid, signing_key_id
from apps.core.actions import SystemActor, action
from apps.core.errors import Conflict

FORMAT = "countersign-audit-checkpoint/1"
SIGNED_FIELDS = ("format", "schema", "sequence", "head_hash", "at", "key_id")


@dataclass(frozen=True)
class Checkpoint:
    schema: str
    sequence: int
    head_hash: str
    at: datetime
    key_id: str
    path: Path

    @property
    def label(self) -> str:
        return f"the checkpoint of {when(self.at)}"


@dataclass(frozen=True)
class CheckpointProblem:
    path: Path
    problem: str


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def checkpoint_dir(schema: str) -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / schema


def _schema() -> str:
    return str(connection.schema_name)  # type: ignore[attr-defined]  # django-tenants' connection


def _message(payload: dict[str, Any]) -> bytes:
    signed = {name: payload.get(name) for name in SIGNED_FIELDS}
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()


# --- reading ------------------------------------------------------------------------------------


def checkpoint_files(schema: str) -> Iterator[Path]:
    """The schema's checkpoint files, newest (highest sequence, then latest time) first."""
    root = checkpoint_dir(schema)
    if not root.is_dir():
        return
    for day in sorted((d for d in root.iterdir() if d.is_dir()), reverse=True):
        yield from sorted(day.glob("*.json"), reverse=True)


def checkpoint_read(path: Path, *, schema: str) -> Checkpoint | CheckpointProblem:
    """One file, its signature checked against the accepted keys."""
    try:
        payload = json.loads(path.read_text())
        at = datetime.fromisoformat(str(payload["at"]))
        label = f"the checkpoint of {when(at)}"
        sequence, head_hash = int(payload["sequence"]), str(payload["head_hash"])
        signed_by, signature = str(payload["key_id"]), str(payload["signature"])
    except (OSError, ValueError, KeyError, TypeError):
        return CheckpointProblem(path, f"the checkpoint file {path.name} cannot be read")
    valid = signature_valid(_message(payload), signed_by=signed_by, signature=signature)
    if valid is None:
        return CheckpointProblem(path, f"{label} is signed with a key that is not accepted")
    if not valid:
        return CheckpointProblem(path, f"{label} has a wrong signature")
    if payload.get("schema") != schema or payload.get("format") != FORMAT:
        return CheckpointProblem(path, f"{label} belongs to another audit trail")
    return Checkpoint(schema, sequence, head_hash, at, signed_by, path)


def checkpoint_latest(
    schema: str, *, every: bool = False
) -> tuple[Checkpoint | None, list[CheckpointProblem]]:
    """The newest checkpoint whose signature verifies, and the problems of the files newer
    than it (with `every`, of all the schema's files)."""
    problems: list[CheckpointProblem] = []
    latest: Checkpoint | None = None
    for path in checkpoint_files(schema):
        found = checkpoint_read(path, schema=schema)
        if isinstance(found, CheckpointProblem):
            problems.append(found)
        elif latest is None:
            latest = found
            if not every:
                break
    return latest, problems


def checkpoint_problems(
    checkpoint: Checkpoint, *, last_sequence: int, first_sequence: int | None
) -> list[str]:
    """How the chain (ending at `last_sequence`) falls short of a checkpoint, in words."""
    if checkpoint.sequence > last_sequence:
        return [
            f"entries after #{last_sequence} are missing; {checkpoint.label} covers "
            f"#{checkpoint.sequence}"
        ]
    if checkpoint.sequence == 0 or (first_sequence and checkpoint.sequence < first_sequence):
        return []  # nothing chained yet, or purged after its retention (chain_verify checks)
    found = (
        AuditEntry.objects.filter(sequence=checkpoint.sequence)
        .values_list("hash", flat=True)
        .first()
    )
    if found != checkpoint.head_hash:
        return [f"entry #{checkpoint.sequence} does not match {checkpoint.label}"]
    return []


# --- writing ------------------------------------------------------------------------------------


def _head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    return head if head is not None else (0, GENESIS)


def checkpoint_write(*, actor: SystemActor | None = None, force: bool = False) -> Checkpoint | None:
    """Sign the current schema's chain head and write it as a checkpoint file. Refuses
    (`Conflict`) when the head does not match its entry or the chain no longer extends the
    newest checkpoint, so a truncated chain is never signed. Without `force`, a head that has
    not moved since the newest checkpoint writes nothing (None)."""
    schema = _schema()
    with action(actor=actor):
        sequence, head_hash = _head()
        if sequence:
            at_head = (
                AuditEntry.objects.filter(sequence=sequence).values_list("hash", flat=True).first()
            )
            if at_head != head_hash:
                raise Conflict(
                    f"The audit chain head (#{sequence}) does not match its entry; run "
                    "audit_verify.",
                    code=AuditCode.HEAD_MISMATCH,
                )
        previous, _ = checkpoint_latest(schema)
        if previous is not None:
            first = AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True)
            problems = checkpoint_problems(
                previous, last_sequence=sequence, first_sequence=first.first()
            )
            if problems:
                code = (
                    AuditCode.CHAIN_BEHIND_CHECKPOINT
                    if previous.sequence > sequence
                    else AuditCode.CHAIN_DIVERGED
                )
                raise Conflict(f"Not signed: {problems[0]}; run audit_verify.", code=code)
            if previous.sequence == sequence and not force:
                return None
    return _file_write(schema, sequence, head_hash)


def _file_write(schema: str, sequence: int, head_hash: str) -> Checkpoint:
    now = timezone.now().astimezone(UTC)
    payload: dict[str, Any] = {
        "format": FORMAT,
        "schema": schema,
        "sequence": sequence,
        "head_hash": head_hash,
        "at": now.isoformat(),
    }
    payload["key_id"] = signing_key_id()
    payload["signature"] = sign(_message(payload))
    folder = checkpoint_dir(schema) / now.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sequence:012d}-{now.strftime('%H%M%S%fZ')}.json"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)  # a reader never sees half a file
    return Checkpoint(schema, sequence, head_hash, now, payload["key_id"], path)
