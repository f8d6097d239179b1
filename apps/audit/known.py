"""What a row held when it was read, so django-auditlog need not read it again.

django-auditlog diffs an update against the row as stored, which it reads with one more query
before every save. A service that has just read (and locked) the rows it will change marks them
with `audit_known`; the update receiver (apps.audit.registration) then diffs against that copy.
A row not marked is read as before, so nothing is ever diffed against a guess.
"""

from __future__ import annotations

import copy
from typing import Any

ATTRIBUTE = "_audit_before"
# Fields django-auditlog does not diff (set from apps.audit.registration's exclusions): the copy
# may share their values, which saves deep-copying the request's answers and engine state.
NOT_DIFFED: set[str] = set()


def _snapshot(instance: Any) -> Any:
    before = copy.copy(instance)  # Django copies the instance's state and related-object cache
    for field in instance._meta.concrete_fields:
        if field.name in NOT_DIFFED:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, dict | list):  # changed in place later: keep the value as read
            setattr(before, field.attname, copy.deepcopy(value))
    return before


def audit_known(*instances: Any) -> None:
    """Mark rows as read from the database just now (in the transaction that will change them)."""
    for instance in instances:
        if instance.pk is not None:
            setattr(instance, ATTRIBUTE, _snapshot(instance))


def known_before(instance: Any) -> Any | None:
    """The row as read, when a service marked it; then marked again as it is about to be saved,
    so a second save in the same action diffs against the first."""
    before = instance.__dict__.get(ATTRIBUTE)
    if before is not None:
        setattr(instance, ATTRIBUTE, _snapshot(instance))
    return before
