"""Which models django-auditlog tracks, and the signals that feed the hash-chained trail."""

from __future__ import annotations

from typing import Any

from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from auditlog.models import DEFAULT_OBJECT_REPR, LogEntry, _get_manager_from_settings
from auditlog.receivers import check_disable
from auditlog.registry import auditlog
from auditlog.signals import post_log
from django.apps import apps
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.encoding import smart_str

from apps.audit import known
from apps.audit.chain import digest
from apps.audit.known import known_before
from apps.audit.models import AuditCategory

# Every model of these apps is tracked.
TRACKED_APPS = (
    "accounts", "tenants", "people", "workflows", "approvals", "sla", "notifications",
    "integrations", "erp", "payers", "api", "identity",
)  # fmt: skip
# Rows that are themselves logs, counters or caches: tracking them would only add noise.
# tenants.pooledschema is a cache of ready schemas (the tenant a schema becomes is tracked);
# sla.slaevent is the clock's own history, written with each clock change, which is tracked.
UNTRACKED_MODELS = {
    "approvals.timelineentry", "approvals.referencecounter", "notifications.notification",
    "notifications.emaillog", "integrations.outboxevent", "integrations.webhookdelivery",
    "api.idempotencyrecord", "tenants.pooledschema", "sla.slaevent",
    "identity.samlassertionseen",
}  # fmt: skip
# Never copied into the trail: secrets, and form answers that may hold patient data (the
# trail records which fields changed and a digest of the change instead).
EXCLUDED_FIELDS = [
    "password", "last_login", "data", "engine_state", "body", "comment", "secret",
    "secret_encrypted", "key_hash", "token_hash", "auth_token", "credential_encrypted",
    "client_secret_encrypted", "saml_sp_key_encrypted",
    "reason_text", "items", "note",
]  # fmt: skip
ACTIONS = {0: "create", 1: "update", 2: "delete", 3: "access"}


def _reference_of(sender: Any, instance: Any) -> str:
    """The request reference a change record belongs to ("" for rows of no request)."""
    if sender._meta.label_lower == "approvals.approvalrequest":
        return str(getattr(instance, "reference", ""))
    if hasattr(instance, "request") and hasattr(instance.request, "reference"):
        return str(instance.request.reference)
    return ""


def _log(action: int, instance: Any, sender: Any, old: Any, new: Any,
         fields: Any = None) -> None:  # fmt: skip
    """django-auditlog's change record of one save or delete, and the chain entry that
    fingerprints it. The record is built here rather than by auditlog's `log_create`, which
    inserts it at once: inside an action (`audit_batch`) it is inserted at the end together
    with the action's other records, one statement for all of them."""
    changes = model_instance_diff(
        old, new, fields_to_check=fields,
        use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
    )  # fmt: skip
    if not changes:
        return
    from apps.audit.services import audit_append
    from apps.core.actions import current_action

    manager = LogEntry.objects
    pk = manager._get_pk_value(instance)
    try:
        object_repr = smart_str(instance)
    except ObjectDoesNotExist:
        object_repr = DEFAULT_OBJECT_REPR
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=pk,
        object_id=pk if isinstance(pk, int) else None,
        object_repr=object_repr,
        serialized_data=manager._get_serialized_data_or_none(instance),
        action=action,
        changes=changes,
        cid=get_cid(),
    )
    context = current_action()
    if context is not None:
        entry.actor = context.user
        entry.actor_email = context.actor_email
        entry.remote_addr = context.ip
    reference = _reference_of(sender, instance)
    audit_append(
        category=AuditCategory.CHANGE,
        action=f"{sender._meta.label_lower}.{ACTIONS.get(action, 'change')}",
        obj=instance,
        object_repr=object_repr[:200],
        request_reference=reference,
        detail={"log_entry": None, "fields": sorted(changes), "changes_digest": digest(changes)},
        log_entry=entry,
    )


@check_disable  # type: ignore[untyped-decorator]  # django-auditlog is untyped
def _log_create(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        _log(LogEntry.Action.CREATE, instance, sender, None, instance)


@check_disable  # type: ignore[untyped-decorator]  # django-auditlog is untyped
def _log_update(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Diffs against the row a service already read (`apps.audit.known`) instead of reading
    it again, as django-auditlog's own receiver does."""
    if instance._state.adding or instance.pk is None:
        return
    old = known_before(instance)
    if old is None:
        old = _get_manager_from_settings(sender).filter(pk=instance.pk).first()
    _log(LogEntry.Action.UPDATE, instance, sender, old, instance, kwargs.get("update_fields"))


@check_disable  # type: ignore[untyped-decorator]  # django-auditlog is untyped
def _log_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is not None:
        _log(LogEntry.Action.DELETE, instance, sender, instance, None)


def register_models() -> None:
    # Our receivers, before any model is connected (m2m changes keep auditlog's own).
    auditlog._signals[post_save] = _log_create
    auditlog._signals[pre_save] = _log_update
    auditlog._signals[post_delete] = _log_delete
    known.NOT_DIFFED.update(EXCLUDED_FIELDS)
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label not in TRACKED_APPS or label in UNTRACKED_MODELS:
            continue
        if auditlog.contains(model):
            continue
        m2m = [f.name for f in model._meta.many_to_many]
        auditlog.register(model, exclude_fields=EXCLUDED_FIELDS, m2m_fields=m2m)


def _on_log(sender: Any, instance: Any, action: Any, **kwargs: Any) -> None:
    """The chain entry of a record django-auditlog wrote itself (many-to-many changes)."""
    from apps.audit.services import audit_append

    entry: LogEntry | None = kwargs.get("log_entry")
    if entry is None or not kwargs.get("log_created", True):
        return
    changes = entry.changes or {}
    reference = _reference_of(sender, instance)
    audit_append(
        category=AuditCategory.CHANGE,
        action=f"{sender._meta.label_lower}.{ACTIONS.get(int(entry.action), 'change')}",
        obj=instance,
        object_repr=entry.object_repr[:200],
        request_reference=reference,
        detail={
            "log_entry": entry.pk,
            "fields": sorted(changes) if isinstance(changes, dict) else [],
            "changes_digest": digest(changes),
        },
    )


def _log_entry_actor(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    """django-auditlog's own rows name the acting person from the current action too."""
    from apps.core.actions import current_action

    context = current_action()
    if context is None or instance.actor_id is not None:
        return
    if context.user is not None:
        instance.actor = context.user
    instance.actor_email = context.actor_email
    instance.remote_addr = instance.remote_addr or context.ip


def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from apps.audit.services import audit_append

    audit_append(
        category=AuditCategory.SECURITY, action="login", obj=user,
        actor_id=user.pk, actor_email=user.email, detail={"schema": connection.schema_name},  # type: ignore[attr-defined]  # django-tenants' connection
    )  # fmt: skip


def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from apps.audit.services import audit_append

    if user is not None:
        audit_append(
            category=AuditCategory.SECURITY, action="logout", obj=user,
            actor_id=user.pk, actor_email=user.email,
        )  # fmt: skip


def _on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                     **kwargs: Any) -> None:  # fmt: skip
    from apps.audit.services import audit_append

    attempted = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit_append(
        category=AuditCategory.SECURITY, action="login_failed", object_type="accounts.user",
        actor_id=None, actor_email=attempted,
    )  # fmt: skip


def connect_signals() -> None:
    post_log.connect(_on_log, dispatch_uid="countersign_audit_chain")
    pre_save.connect(_log_entry_actor, sender=LogEntry, dispatch_uid="countersign_logentry_actor")
    user_logged_in.connect(_on_login, dispatch_uid="countersign_audit_login")
    user_logged_out.connect(_on_logout, dispatch_uid="countersign_audit_logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="countersign_audit_login_failed")


_MISSING = object()


def logentry_problem(entry: dict[str, Any], changes_by_id: dict[int, Any]) -> str:
    """The auditlog row an entry fingerprints must still hold the same changes.
    `changes_by_id` holds the changes of the log rows referenced by the current batch."""
    log_id = (entry.get("detail") or {}).get("log_entry")
    if not log_id:
        return ""
    changes = changes_by_id.get(log_id, _MISSING)
    if changes is _MISSING:
        return f"the change record {log_id} it refers to is missing"
    if digest(changes or {}) != entry["detail"].get("changes_digest"):
        return f"the change record {log_id} it refers to was altered"
    return ""
