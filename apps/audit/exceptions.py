"""Why the audit app refuses something (stable codes for the error family of apps.core.errors)."""

from enum import StrEnum


class AuditCode(StrEnum):
    # The chain head names a sequence or hash that the entries do not have.
    HEAD_MISMATCH = "audit_head_mismatch"
    # The chain is shorter than, or differs from, what its newest signed checkpoint covers.
    CHAIN_BEHIND_CHECKPOINT = "audit_chain_behind_checkpoint"
    CHAIN_DIVERGED = "audit_chain_diverged"
