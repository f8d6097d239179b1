"""Writes about workflows: validate and publish specs, install the template pack."""

from decimal import Decimal
from typing import Any

from apps.accounts.models import User
from apps.approvals.models import ReasonCode
from apps.core.actions import action_service
from apps.people.selectors import known_names
from apps.people.services import authority_limit_set, role_ensure
from apps.workflows.engine import SpecError, WorkflowSpec, parse_spec
from apps.workflows.exceptions import InvalidInput, NotAllowed, WorkflowErrorCode
from apps.workflows.library import load_pack, load_template
from apps.workflows.models import WorkflowDefinition, WorkflowVersion


def workflow_spec_check(spec: dict[str, Any]) -> WorkflowSpec:
    """Parse a spec against this tenant's roles, departments and users.

    Raises InvalidInput whose messages name the path of each bad element.
    """
    names = known_names()
    try:
        return parse_spec(
            spec,
            known_roles=names["roles"],
            known_users=names["users"],
            known_departments=names["departments"],
        )
    except SpecError as exc:
        problems = [str(problem) for problem in exc.problems]
        raise InvalidInput(
            problems[0] if problems else "The workflow has problems.",
            code=WorkflowErrorCode.SPEC_INVALID,
            fields={"spec": problems},
        ) from None


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can publish workflows.", code=WorkflowErrorCode.ADMIN_ONLY
        )


@action_service
def workflow_publish(
    *, actor: User | None, spec: dict[str, Any], note: str = "", source_template: str = ""
) -> WorkflowVersion:
    """Publish a spec as the next version of its workflow (creating the workflow if new).

    Requests already running stay on the version they started with.
    """
    _require_admin(actor)
    parsed = workflow_spec_check(spec)
    definition, _ = WorkflowDefinition.objects.select_for_update().get_or_create(
        key=parsed.key,
        defaults={"name": parsed.name, "category": parsed.category},
    )
    last = definition.versions.order_by("-number").values_list("number", flat=True).first()
    version = WorkflowVersion.objects.create(
        definition=definition,
        number=(last or 0) + 1,
        spec=spec,
        published_by=actor,
        note=note,
    )
    definition.name = parsed.name
    definition.category = parsed.category
    definition.current_version = version
    definition.draft_spec = {}
    if source_template:
        definition.source_template = source_template
    definition.save()
    return version


@action_service
def template_pack_install(
    *, actor: User | None, template_keys: list[str] | None = None
) -> list[WorkflowDefinition]:
    """Install the healthcare template pack: its roles, default authority limits, reason codes
    and the chosen templates. Existing roles, limits and workflows are left as the tenant has
    them; nothing is overwritten."""
    _require_admin(actor)
    pack = load_pack()
    for role in pack["roles"]:
        role_ensure(actor=None, key=role["key"], name=role["name"])
    from apps.people.models import AuthorityLimit, Role

    roles = {role.key: role for role in Role.objects.all()}
    for limit in pack["authority"]:
        role = roles[limit["role"]]
        if not AuthorityLimit.objects.filter(role=role, category=limit["category"]).exists():
            authority_limit_set(
                actor=None, role=role, category=limit["category"], limit=Decimal(limit["limit"])
            )
    for reason in pack["reason_codes"]:
        ReasonCode.objects.get_or_create(code=reason["code"], defaults={"label": reason["label"]})
    installed = []
    wanted = template_keys or [name.removesuffix(".json") for name in pack["templates"]]
    for key in wanted:
        spec = load_template(key)
        existing = WorkflowDefinition.objects.filter(key=spec["key"]).first()
        if existing is None:
            version = workflow_publish(
                actor=actor,
                spec=spec,
                note=f"Installed from {pack['name']} {pack['version']}",
                source_template=f"{pack['key']}/{key}@{pack['version']}",
            )
            existing = version.definition
        installed.append(existing)
    return installed


@action_service
def workflow_create(
    *, actor: User, key: str, name: str, category: str, reference_prefix: str
) -> WorkflowDefinition:
    """A new, unpublished workflow whose draft has the basics and nothing else."""
    from apps.workflows.designer import minimal_spec

    _require_admin(actor)
    if WorkflowDefinition.objects.filter(key=key).exists():
        raise InvalidInput(
            f'A workflow with the key "{key}" already exists.',
            code=WorkflowErrorCode.KEY_TAKEN,
            field="key",
        )
    return WorkflowDefinition.objects.create(
        key=key,
        name=name,
        category=category,
        draft_spec=minimal_spec(
            key=key, name=name, category=category, reference_prefix=reference_prefix
        ),
    )


@action_service
def workflow_draft_save(
    *, actor: User, definition: WorkflowDefinition, spec: dict[str, Any]
) -> WorkflowDefinition:
    """Store the designer's work in progress (valid or not); an empty dict discards the draft.

    The key names the workflow, so a draft may not change it.
    """
    _require_admin(actor)
    if spec and spec.get("key") != definition.key:
        raise InvalidInput(
            f'This draft is for "{spec.get("key")}", not for "{definition.key}".',
            code=WorkflowErrorCode.KEY_MISMATCH,
            field="key",
        )
    definition.draft_spec = spec
    definition.save(update_fields=["draft_spec"])
    return definition


def workflow_draft_import(
    *, actor: User, definition: WorkflowDefinition, spec: dict[str, Any]
) -> WorkflowDefinition:
    """Replace the draft with an imported spec, but only one that passes the spec check."""
    workflow_spec_check(spec)
    return workflow_draft_save(actor=actor, definition=definition, spec=spec)
