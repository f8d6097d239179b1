"""Org chart import from CSV: a dry run shows each row's changes and refusals, applying writes
the accepted rows in one action.

Columns (a header row is required; only ``email`` is compulsory, and a column that is absent
leaves that part of everyone as it is):

- ``email``: the person, who must already be a user of this tenant (invite people first);
- ``manager_email``: their manager (an active user here); an empty cell removes the manager;
- ``job_title``;
- ``departments`` and ``roles``: keys separated by ``;`` — the person's complete list (people
  not in a listed department or role are taken out of the ones not listed; the dry run shows it).

A row is refused, with its line number and reason, when the person or a manager, department
or role is unknown, the manager is deactivated, the person would manage themselves or close a
loop, or the same person appears twice. Refused rows change nothing; the others are applied.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import transaction

from apps.accounts.models import User
from apps.core.actions import action
from apps.core.text import email_normalise
from apps.people.exceptions import InvalidInput, NotAllowed, PeopleErrorCode
from apps.people.models import Department, Role
from apps.people.org_chart import PersonChanges, manager_problem, managers_now, person_update

COLUMNS = ("email", "manager_email", "job_title", "departments", "roles")
MAX_ROWS = 5000
MAX_BYTES = 2_000_000

_Item = TypeVar("_Item", Department, Role)


@dataclass
class RowResult:
    line: int
    email: str
    changes: list[str] = field(default_factory=list)  # "manager: Bob Stone → Victor Hale"
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.errors:
            return "refused"
        return "change" if self.changes else "unchanged"


@dataclass
class ImportResult:
    rows: list[RowResult]
    applied: bool

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors]

    @property
    def changed(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "change"]


@dataclass
class _Plan:
    row: RowResult
    person: User
    changes: PersonChanges


def _file_error(message: str) -> InvalidInput:
    return InvalidInput(message, code=PeopleErrorCode.INVALID, field="file")


def _read(raw: bytes | str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise _file_error(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _file_error("The file is not UTF-8 text; save it as CSV (UTF-8).") from exc
    try:
        reader = csv.DictReader(io.StringIO(raw, newline=""))
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        if not header:
            raise _file_error("The file is empty; the first row must name the columns.")
        unknown = [name for name in header if name not in COLUMNS]
        if unknown:
            raise _file_error(
                f"Unknown column {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}."
            )
        if "email" not in header:
            raise _file_error("The first row must name the columns, including email.")
        if len(set(header)) != len(header):
            raise _file_error("A column is named twice in the first row.")
        reader.fieldnames = header
        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            if None in values:
                rows.append((reader.line_num, {"__extra__": "1"}))
                continue
            cleaned = {k: (v or "").strip() for k, v in values.items()}
            if not any(cleaned.values()):
                continue  # blank line
            rows.append((reader.line_num, cleaned))
            if len(rows) > MAX_ROWS:
                raise _file_error(f"The file has more than {MAX_ROWS} rows; split it.")
    except csv.Error as exc:
        raise _file_error(f"This is not a readable CSV file ({exc}).") from exc
    return header, rows


def _keys(cell: str) -> list[str]:
    return [key.strip() for key in cell.split(";") if key.strip()]


def _names(items: object) -> str:
    names = sorted(str(item) for item in items)  # type: ignore[attr-defined]
    return ", ".join(names) or "none"


class _Planner:
    """Checks rows in file order against the tenant's data with earlier rows' manager changes
    already counted, so a loop made across two rows is refused too."""

    def __init__(self, header: list[str]) -> None:
        self.header = header
        self.people = {u.email: u for u in User.objects.select_related("manager")}
        self.departments = {d.key: d for d in Department.objects.all()}
        self.roles = {r.key: r for r in Role.objects.all()}
        self.managers = managers_now()
        self.seen: set[str] = set()
        self.current_departments = _memberships(Department.members.through, "department_id")
        self.current_roles = _memberships(Role.members.through, "role_id")

    def plan(self, line: int, values: dict[str, str]) -> _Plan | RowResult:
        email = email_normalise(values.get("email", ""))
        row = RowResult(line=line, email=email)
        if "__extra__" in values:
            row.errors.append("This row has more cells than the first row has columns.")
            return row
        person = self.people.get(email)
        if not email:
            row.errors.append("The email is empty.")
        elif person is None:
            row.errors.append("Nobody with this email is a user here (invite them first).")
        elif email in self.seen:
            row.errors.append("This person is on an earlier row too.")
        if person is None or row.errors:
            return row
        self.seen.add(email)
        manager, clear = self._manager(row, person, values)
        departments = self._pick(row, values, "departments", self.departments, "department")
        roles = self._pick(row, values, "roles", self.roles, "role")
        job_title = values.get("job_title") if "job_title" in self.header else None
        if job_title is not None and len(job_title) > 200:
            row.errors.append("The job title is longer than 200 characters.")
        if row.errors:
            return row
        self._describe(row, person, manager, clear, job_title, departments, roles)
        if clear:
            self.managers.pop(email, None)
        elif manager is not None:
            self.managers[email] = manager.email
        changes = PersonChanges(
            manager=manager,
            clear_manager=clear,
            job_title=job_title,
            departments=departments,
            roles=roles,
        )
        return _Plan(row, person, changes)

    def _manager(
        self, row: RowResult, person: User, values: dict[str, str]
    ) -> tuple[User | None, bool]:
        if "manager_email" not in self.header:
            return None, False
        manager_email = email_normalise(values.get("manager_email", ""))
        if not manager_email:
            return None, self.managers.get(person.email) is not None
        manager = self.people.get(manager_email)
        if manager is None:
            row.errors.append(f"Manager {manager_email}: nobody with this email is a user here.")
            return None, False
        if not manager.is_active:
            row.errors.append(f"Manager {manager_email}: this account is deactivated.")
            return None, False
        problem = manager_problem(person.email, manager.email, self.managers)
        if problem is not None:
            row.errors.append(problem)
            return None, False
        if self.managers.get(person.email) == manager.email:
            return None, False
        return manager, False

    def _pick(
        self,
        row: RowResult,
        values: dict[str, str],
        column: str,
        known: Mapping[str, _Item],
        noun: str,
    ) -> list[_Item] | None:
        if column not in self.header:
            return None
        picked: list[_Item] = []
        for key in _keys(values.get(column, "")):
            item = known.get(key)
            if item is None:
                row.errors.append(f"Unknown {noun} “{key}” (use its key).")
            else:
                picked.append(item)
        return picked

    def _describe(
        self,
        row: RowResult,
        person: User,
        manager: User | None,
        clear: bool,
        job_title: str | None,
        departments: list[Department] | None,
        roles: list[Role] | None,
    ) -> None:
        before = person.manager
        if clear:
            row.changes.append(f"manager: {before} → none")
        elif manager is not None:
            row.changes.append(f"manager: {before or 'none'} → {manager}")
        if job_title is not None and job_title != person.job_title:
            row.changes.append(f"job title: {person.job_title or 'none'} → {job_title or 'none'}")
        if departments is not None:
            had = self.current_departments.get(person.pk, set())
            want = {d.pk for d in departments}
            if had != want:
                was = [d for d in self.departments.values() if d.pk in had]
                row.changes.append(f"departments: {_names(was)} → {_names(departments)}")
        if roles is not None:
            had = self.current_roles.get(person.pk, set())
            want = {r.pk for r in roles}
            if had != want:
                was_roles = [r for r in self.roles.values() if r.pk in had]
                row.changes.append(f"roles: {_names(was_roles)} → {_names(roles)}")


def _memberships(through: type, column: str) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for user_id, other in through.objects.values_list("user_id", column):  # type: ignore[attr-defined]
        out.setdefault(user_id, set()).add(other)
    return out


def org_chart_import(*, actor: User, raw: bytes | str, dry_run: bool) -> ImportResult:
    """Check every row and, unless `dry_run`, apply the accepted ones in one action."""
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can import the org chart.",
            code=PeopleErrorCode.ADMIN_ONLY,
        )
    header, lines = _read(raw)
    if not lines:
        raise _file_error("The file has a header row but no people.")
    with action(actor=actor), transaction.atomic():
        planner = _Planner(header)
        outcomes = [planner.plan(line, values) for line, values in lines]
        rows = [o.row if isinstance(o, _Plan) else o for o in outcomes]
        if dry_run:
            return ImportResult(rows=rows, applied=False)
        for outcome in outcomes:
            if isinstance(outcome, _Plan) and outcome.row.changes:
                person_update(actor=actor, person=outcome.person, changes=outcome.changes)
    return ImportResult(rows=rows, applied=True)
