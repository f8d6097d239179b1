"""The org chart a tenant owns: each person's manager, job title, departments and roles.

Manager-chain routing (``requester_manager``, ``manager_chain``) and escalation read these
rows through the directory snapshot, so a change here shows in the designer's route preview and
in every request routed afterwards. Changes are audited like every tracked model (the actor and
channel come from the action that made them).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from apps.accounts.models import User
from apps.core.actions import action_service
from apps.people.exceptions import InvalidInput, NotAllowed, PeopleErrorCode
from apps.people.models import Department, Role

MANAGER_CHAIN_MAX = 50  # deeper than any real hierarchy; a longer chain is a data error


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can change the org chart.",
            code=PeopleErrorCode.ADMIN_ONLY,
        )


def manager_problem(person: str, manager: str | None, managers: Mapping[str, str]) -> str | None:
    """Why `manager` cannot be `person`'s manager given everyone else's (emails), or None.

    A loop (someone ends up managing their own manager) would make manager-chain routing and
    escalation go round for ever, so it is refused with the chain that closes it."""
    if manager is None:
        return None
    if manager == person:
        return "A person cannot be their own manager."
    chain = [person, manager]
    current = manager
    for _ in range(MANAGER_CHAIN_MAX):
        above = managers.get(current)
        if above is None:
            return None
        if above == person:
            return "This would make a loop: " + " → ".join([*chain, person]) + "."
        chain.append(above)
        current = above
    return f"The manager chain above this person is longer than {MANAGER_CHAIN_MAX} people."


def managers_now() -> dict[str, str]:
    """Everyone's manager, by email, as stored."""
    return dict(User.objects.filter(manager__isnull=False).values_list("email", "manager__email"))


@dataclass(frozen=True)
class PersonChanges:
    """What to change about one person; None leaves that part as it is."""

    manager: User | None = None
    clear_manager: bool = False
    job_title: str | None = None
    departments: Collection[Department] | None = None
    roles: Collection[Role] | None = None


def _check_manager(person: User, manager: User | None) -> None:
    if manager is None:
        return
    if not manager.is_active:
        raise InvalidInput(
            "This person's account is deactivated; choose an active manager.",
            code=PeopleErrorCode.INVALID,
            field="manager",
        )
    problem = manager_problem(person.email, manager.email, managers_now())
    if problem is not None:
        raise InvalidInput(problem, code=PeopleErrorCode.INVALID, field="manager")


@action_service
def person_update(*, actor: User, person: User, changes: PersonChanges) -> User:
    """Set a person's place in the org chart: one action, all or nothing."""
    _require_admin(actor)
    fields: list[str] = []
    if changes.clear_manager:
        if person.manager_id is not None:
            person.manager = None
            fields.append("manager")
    elif changes.manager is not None and changes.manager.pk != person.manager_id:
        _check_manager(person, changes.manager)
        person.manager = changes.manager
        fields.append("manager")
    if changes.job_title is not None and changes.job_title.strip() != person.job_title:
        if len(changes.job_title.strip()) > 200:
            raise InvalidInput(
                "Use at most 200 characters.", code=PeopleErrorCode.INVALID, field="job_title"
            )
        person.job_title = changes.job_title.strip()
        fields.append("job_title")
    if fields:
        person.save(update_fields=fields)
    if changes.departments is not None:
        wanted = {d.pk for d in changes.departments}
        if set(person.departments.values_list("pk", flat=True)) != wanted:
            person.departments.set(list(changes.departments))
    if changes.roles is not None:
        wanted = {r.pk for r in changes.roles}
        if set(person.roles.values_list("pk", flat=True)) != wanted:
            person.roles.set(list(changes.roles))
    return person
