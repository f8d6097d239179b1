"""Template packs: a public-schema library of versioned workflow templates that partners offer
to their tenants. Installing pins the pack version; newer versions are applied by tenant admins
as new workflow versions, never over a tenant's own changes without confirmation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from apps.core.actions import action, action_service
from apps.tenants.clusters import tenant_activated
from apps.tenants.exceptions import Conflict, InvalidInput, NotAllowed, TenantErrorCode
from apps.tenants.models import (
    Partner,
    TemplateInstallation,
    TemplatePack,
    TemplatePackVersion,
    Tenant,
)


def version_sort_key(version: str) -> str:
    parts = [p for p in version.replace("-", ".").split(".") if p]
    return ".".join(p.zfill(5) if p.isdigit() else p for p in parts)


def template_pack_sync() -> TemplatePackVersion:
    """Load the shipped healthcare pack (``apps/workflows/library``) as a platform pack.
    Idempotent: a version already stored is left as it is (releases are immutable)."""
    from apps.workflows.library import load_pack, load_template

    manifest = load_pack()
    pack, _ = TemplatePack.objects.get_or_create(
        key=manifest["key"],
        partner=None,
        defaults={"name": manifest["name"], "description": manifest.get("description", "")},
    )
    release = pack.versions.filter(version=manifest["version"]).first()
    if release is None:
        templates = {
            name.removesuffix(".json"): load_template(name.removesuffix(".json"))
            for name in manifest["templates"]
        }
        release = TemplatePackVersion.objects.create(
            pack=pack,
            version=manifest["version"],
            sort_key=version_sort_key(manifest["version"]),
            manifest=manifest,
            templates=templates,
        )
    return release


@action_service
def template_pack_release(
    *, actor: object | None, pack: TemplatePack, version: str, templates: dict[str, Any]
) -> TemplatePackVersion:
    """Publish a new release of a pack (platform packs: actor None; partner packs: its admin)."""
    if pack.versions.filter(version=version).exists():
        raise InvalidInput(
            f"{pack.key} {version} already exists.",
            code=TenantErrorCode.INVALID_INPUT,
            field="version",
        )
    latest = latest_release(pack)
    manifest = dict(latest.manifest) if latest else {"key": pack.key, "name": pack.name}
    manifest["version"] = version
    return TemplatePackVersion.objects.create(
        pack=pack,
        version=version,
        sort_key=version_sort_key(version),
        manifest=manifest,
        templates=templates,
    )


def latest_release(pack: TemplatePack) -> TemplatePackVersion | None:
    return pack.versions.order_by("-sort_key").first()


def packs_for_partner(partner: Partner | None) -> QuerySet[TemplatePack]:
    """Platform packs plus the partner's own."""
    if partner is None:
        return TemplatePack.objects.none()
    return TemplatePack.objects.filter(
        Q(partner__isnull=True) | Q(partner=partner)
    ).prefetch_related("versions")


def _release_for_source(source: str) -> tuple[TemplatePackVersion | None, str]:
    """``"healthcare-core/prior-auth-imaging@1.0.0"`` → (that release, "prior-auth-imaging")."""
    try:
        pack_key, rest = source.split("/", 1)
        template_key, version = rest.split("@", 1)
    except ValueError:
        return None, ""
    release = (
        TemplatePackVersion.objects.filter(pack__key=pack_key, version=version)
        .select_related("pack")
        .first()
    )
    return release, template_key


def template_keys_check(template_keys: list[str]) -> TemplatePackVersion:
    """The latest platform release, once every key names one of its templates."""
    from apps.tenants.exceptions import InvalidInput, TenantErrorCode

    release = template_pack_sync()
    unknown = sorted(set(template_keys) - set(release.templates))
    if unknown:
        raise InvalidInput(
            f"Unknown templates: {', '.join(unknown)}.",
            code=TenantErrorCode.PACK_UNKNOWN,
            field="template_packs",
        )
    return release


def template_packs_install(
    *, actor: object | None, tenant: Tenant, template_keys: list[str]
) -> list[str]:
    """Install templates of the latest platform pack into ``tenant`` and pin the release."""
    from apps.workflows.services import template_pack_install

    release = template_keys_check(template_keys)
    if not template_keys:
        return []
    with tenant_activated(tenant):
        installed = template_pack_install(actor=None, template_keys=template_keys)
        keys = [d.key for d in installed]
    for key in template_keys:
        TemplateInstallation.objects.update_or_create(
            tenant=tenant, template_key=key, defaults={"pack_version": release}
        )
    return keys


# --- updates, on the tenant host ---------------------------------------------------------------


def _names(items: list[dict[str, Any]], attr: str) -> dict[str, dict[str, Any]]:
    return {str(item.get(attr)): item for item in items if isinstance(item, dict)}


def spec_diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """A short human summary of what differs between two workflow specs."""
    lines: list[str] = []
    old_fields = _names(before.get("form", {}).get("fields", []), "name")
    new_fields = _names(after.get("form", {}).get("fields", []), "name")
    for name in sorted(new_fields.keys() - old_fields.keys()):
        lines.append(f"Form field added: {new_fields[name].get('label', name)}")
    for name in sorted(old_fields.keys() - new_fields.keys()):
        lines.append(f"Form field removed: {old_fields[name].get('label', name)}")
    for name in sorted(old_fields.keys() & new_fields.keys()):
        if old_fields[name] != new_fields[name]:
            lines.append(f"Form field changed: {new_fields[name].get('label', name)}")
    old_stages = _names(before.get("stages", []), "key")
    new_stages = _names(after.get("stages", []), "key")
    for key in [k for k in new_stages if k not in old_stages]:
        lines.append(f"Stage added: {new_stages[key].get('name', key)}")
    for key in [k for k in old_stages if k not in new_stages]:
        lines.append(f"Stage removed: {old_stages[key].get('name', key)}")
    for key in [k for k in new_stages if k in old_stages]:
        if old_stages[key] != new_stages[key]:
            lines.append(f"Stage changed: {new_stages[key].get('name', key)}")
    if list(old_stages) != list(new_stages) and set(old_stages) == set(new_stages):
        lines.append("Stages reordered")
    for key in sorted((before.keys() | after.keys()) - {"form", "stages"}):
        if before.get(key) != after.get(key):
            lines.append(f"Setting changed: {key}")
    return lines


@dataclass
class TemplateUpdate:
    key: str
    name: str
    pinned: TemplatePackVersion
    latest: TemplatePackVersion
    changes: list[str] = field(default_factory=list)
    local_changes: list[str] = field(default_factory=list)

    @property
    def changed_locally(self) -> bool:
        return bool(self.local_changes)


class LocalChangesError(Conflict):
    """Applying would replace the tenant's own edits; the admin must confirm."""

    code = TenantErrorCode.LOCAL_CHANGES


def template_updates_for(tenant: Tenant, *, partner: Partner | None = None) -> list[TemplateUpdate]:
    """Newer releases of the templates this tenant installed (must run in the tenant's schema)."""
    from apps.workflows.models import WorkflowDefinition

    partner = partner or tenant.partner
    allowed = set(packs_for_partner(partner).values_list("id", flat=True))
    updates = []
    for definition in WorkflowDefinition.objects.exclude(source_template="").select_related(
        "current_version"
    ):
        pinned, key = _release_for_source(definition.source_template)
        if pinned is None or pinned.pack_id not in allowed:
            continue
        latest = latest_release(pinned.pack)
        if latest is None or latest.sort_key <= pinned.sort_key or key not in latest.templates:
            continue
        if pinned.templates.get(key) == latest.templates[key]:
            continue  # the release did not change this template
        current = definition.current_version.spec if definition.current_version else {}
        updates.append(
            TemplateUpdate(
                key=key,
                name=definition.name,
                pinned=pinned,
                latest=latest,
                changes=spec_diff(current, latest.templates[key]),
                local_changes=spec_diff(pinned.templates.get(key, {}), current),
            )
        )
    return updates


def template_update_apply(
    *, actor: Any, tenant: Tenant, template_key: str, confirm_local_changes: bool = False
) -> Any:
    """Publish the newer template as a new workflow version (running requests keep theirs).
    Refuses, with the diff, when the tenant changed the workflow and did not confirm."""
    from apps.workflows.services import workflow_publish

    if not getattr(actor, "is_tenant_admin", False):
        raise NotAllowed(
            "Only tenant administrators can apply template updates.",
            code=TenantErrorCode.ADMIN_ONLY,
        )
    update = next((u for u in template_updates_for(tenant) if u.key == template_key), None)
    if update is None:
        raise InvalidInput(
            "There is no newer version of this template.",
            code=TenantErrorCode.INVALID_INPUT,
            field="template",
        )
    if update.changed_locally and not confirm_local_changes:
        raise LocalChangesError(
            "This workflow was changed here since it was installed: "
            + "; ".join(update.local_changes),
            field="confirm",
        )
    with action(actor=actor):
        version = workflow_publish(
            actor=actor,
            spec=update.latest.templates[template_key],
            note=f"Updated from {update.latest.pack.name} {update.latest.version}",
            source_template=f"{update.latest.pack.key}/{template_key}@{update.latest.version}",
        )
        TemplateInstallation.objects.update_or_create(
            tenant=tenant, template_key=template_key, defaults={"pack_version": update.latest}
        )
    return version
