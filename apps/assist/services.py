"""Advisory services. They read a request and write only `Recommendation`/`RiskModel`/
`AssistSettings` rows: nothing here changes a request, a task or a decision (a test checks
that this package never imports the approvals services)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, Attachment
from apps.assist import classifier, risk, similar
from apps.assist.checklists import checklist_for
from apps.assist.completeness import completeness_check
from apps.assist.consistency import consistency_check
from apps.assist.criteria import PageText, evaluate_checklist
from apps.assist.models import (
    AssistFeedback,
    AssistSettings,
    DocumentPage,
    Recommendation,
    RecommendationKind,
)
from apps.assist.providers import guard_phi, provider_for
from apps.assist.selectors import assist_settings
from apps.assist.summary import case_summary
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import action

COMPLETENESS_VERSION = "rules-1"
SUMMARY_VERSION = "summary-1"
CRITERIA_VERSION = "context-rules-1"
CONSISTENCY_VERSION = "consistency-1"


def _hash(inputs: Any) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def recommendation_record(
    *,
    kind: str,
    approval: ApprovalRequest,
    inputs: Any,
    model_version: str,
    confidence: float | None,
    output: dict[str, Any],
) -> Recommendation:
    """Store a recommendation; the same inputs and model give back the stored one."""
    inputs_hash = _hash(inputs)
    existing = Recommendation.objects.filter(
        kind=kind, request=approval, inputs_hash=inputs_hash, model_version=model_version
    ).first()
    if existing:
        return existing
    return Recommendation.objects.create(
        kind=kind,
        request=approval,
        inputs_hash=inputs_hash,
        model_version=model_version,
        confidence=confidence,
        output=output,
    )


def _attachment_text(attachment: Attachment) -> str:
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read(5_000_000)
    except (OSError, ValueError):
        return ""
    return classifier.extract_text(content, attachment.content_type)


def attachment_classify(*, attachment: Attachment, settings: AssistSettings) -> Recommendation:
    text = _attachment_text(attachment)
    provider = provider_for(settings)
    if provider.external:
        guard_phi(provider, settings, text)
        label, confidence = provider.classify(text=text)
        result = classifier.Classification(
            label=label if confidence >= settings.classifier_threshold else classifier.UNSURE,
            best_guess=label,
            confidence=confidence,
            model_version=provider.name,
        )
    else:
        result = classifier.classify(text, threshold=settings.classifier_threshold)
    return recommendation_record(
        kind=RecommendationKind.CLASSIFICATION,
        approval=attachment.request,
        inputs={
            "attachment": attachment.pk,
            "sha256": attachment.sha256,
            "threshold": settings.classifier_threshold,
        },
        model_version=result.model_version,
        confidence=result.confidence,
        output={
            "attachment": attachment.pk,
            "name": attachment.original_name,
            "label": result.label,
            "best_guess": result.best_guess,
            "display": result.display,
        },
    )


def request_pages(approval: ApprovalRequest) -> tuple[list[PageText], dict[str, int]]:
    """The stored page texts of the request's attachments, and each document's attachment id."""
    rows = DocumentPage.objects.filter(attachment__request=approval).select_related("attachment")
    pages = [PageText(r.attachment.original_name, r.page_number, r.text) for r in rows]
    ids = {r.attachment.original_name: r.attachment_id for r in rows}
    return pages, ids


def _linked(item: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    return {**item, "attachment": ids.get(item["document"])}


def criteria_evaluate(
    approval: ApprovalRequest, pages: list[PageText], ids: dict[str, int]
) -> Recommendation | None:
    checklist = checklist_for(approval.workflow_version.definition.key, approval.data)
    if checklist is None:
        return None
    results = evaluate_checklist(checklist.criteria, pages)
    return recommendation_record(
        kind=RecommendationKind.CRITERIA,
        approval=approval,
        inputs={"pages": [(p.document, p.page, p.text) for p in pages], "data": approval.data},
        model_version=f"{CRITERIA_VERSION}:{checklist.key}@v{checklist.version}",
        confidence=None,
        output={
            "checklist": checklist.title,
            "version": checklist.version,
            "results": [_linked(r.as_dict(), ids) for r in results],
            "documents": len({p.document for p in pages}),
        },
    )


def consistency_evaluate(
    approval: ApprovalRequest, pages: list[PageText], ids: dict[str, int]
) -> Recommendation:
    findings = consistency_check(approval.data, pages)
    return recommendation_record(
        kind=RecommendationKind.CONSISTENCY,
        approval=approval,
        inputs={"pages": [(p.document, p.page, p.text) for p in pages], "data": approval.data},
        model_version=CONSISTENCY_VERSION,
        confidence=None,
        output={"findings": [_linked(f.as_dict(), ids) for f in findings]},
    )


def similar_cases_evaluate(*, viewer: User, approval: ApprovalRequest) -> Recommendation:
    """The similar decided cases this viewer may open (so the record is per viewer)."""
    cases, candidates = similar.similar_cases(viewer, approval)
    return recommendation_record(
        kind=RecommendationKind.SIMILAR_CASES,
        approval=approval,
        inputs={
            "viewer": viewer.pk,
            "data": approval.data,
            "amount": approval.amount,
            "candidates": [(c.pk, c.status, c.updated_at) for c in candidates],
        },
        model_version=similar.VERSION,
        confidence=None,
        output={
            "cases": [c.as_dict() for c in cases],
            "considered": len(candidates),
            "k": similar.K,
        },
    )


def assist_run(*, actor: User, approval: ApprovalRequest) -> list[Recommendation]:
    """Every advisory output for one request (stored, reused while the inputs are the same)."""
    settings = assist_settings()
    with action(actor=actor):
        classified = [
            attachment_classify(attachment=a, settings=settings) for a in approval.attachments.all()
        ]
        kinds = {r.output["attachment"]: r.output["label"] for r in classified}
        names = {r.output["attachment"]: r.output["display"] for r in classified}
        spec = approval.workflow_version.spec
        attachments = [
            {"name": a.original_name, "kind": kinds.get(a.pk, "")}
            for a in approval.attachments.all()
        ]
        findings = completeness_check(spec=spec, data=approval.data, attachments=attachments)
        completeness = recommendation_record(
            kind=RecommendationKind.COMPLETENESS,
            approval=approval,
            inputs={
                "data": approval.data,
                "attachments": attachments,
                "version": approval.workflow_version_id,
            },
            model_version=COMPLETENESS_VERSION,
            confidence=None,
            output={
                "findings": [f.as_dict() for f in findings],
                "missing": sum(1 for f in findings if not f.ok),
            },
        )
        risk_output = risk.denial_risk(approval)
        denial = recommendation_record(
            kind=RecommendationKind.DENIAL_RISK,
            approval=approval,
            inputs={
                "features": risk.features_of(approval),
                "notes": risk.notes_of(approval),
                "history": risk_output["history"],
            },
            model_version=risk_output["model_version"],
            confidence=risk_output.get("confidence"),
            output=risk_output,
        )
        pages, ids = request_pages(approval)
        criteria = criteria_evaluate(approval, pages, ids)
        consistency = consistency_evaluate(approval, pages, ids)
        similar_cases = similar_cases_evaluate(viewer=actor, approval=approval)
        statements = case_summary(approval, names)
        provider = provider_for(settings)
        if provider.external:
            statements = provider.summarise(statements=guard_phi(provider, settings, statements))
        summary = recommendation_record(
            kind=RecommendationKind.SUMMARY,
            approval=approval,
            inputs={"statements": statements},
            model_version=SUMMARY_VERSION,
            confidence=None,
            output={"statements": statements},
        )
    extra = [criteria] if criteria else []
    return [*extra, consistency, similar_cases, completeness, *classified, denial, summary]


def requester_missing(*, actor: User, approval: ApprovalRequest) -> dict[str, Any]:
    """What the requester could still add before submitting: the criteria not met or not found
    and the open completeness items (stored like the panel's outputs; the request unchanged)."""
    settings = assist_settings()
    with action(actor=actor):
        classified = [
            attachment_classify(attachment=a, settings=settings) for a in approval.attachments.all()
        ]
        kinds = {r.output["attachment"]: r.output["label"] for r in classified}
        attachments = [
            {"name": a.original_name, "kind": kinds.get(a.pk, "")}
            for a in approval.attachments.all()
        ]
        findings = completeness_check(
            spec=approval.workflow_version.spec, data=approval.data, attachments=attachments
        )
        pages, ids = request_pages(approval)
        criteria = criteria_evaluate(approval, pages, ids)
    results = criteria.output["results"] if criteria else []
    return {
        "checklist": criteria.output["checklist"] if criteria else "",
        "criteria": [r for r in results if r["status"] != "met"],
        "criteria_met": sum(1 for r in results if r["status"] == "met"),
        "open_items": [f.as_dict() for f in findings if not f.ok],
        "documents": criteria.output["documents"] if criteria else 0,
    }


class FeedbackInvalid(ValueError):
    """The item is not part of that output (stable code: assist.feedback_item_unknown)."""

    code = "assist.feedback_item_unknown"


def feedback_items(recommendation: Recommendation) -> set[str]:
    """What can be marked on an output: the whole block (""), each criterion by its key, each
    consistency finding as "finding-<n>"."""
    items = {""}
    output = recommendation.output or {}
    if recommendation.kind == RecommendationKind.CRITERIA:
        items |= {str(r["key"]) for r in output.get("results", [])}
    elif recommendation.kind == RecommendationKind.CONSISTENCY:
        items |= {f"finding-{n}" for n in range(len(output.get("findings", [])))}
    return items


def recommendation_feedback(
    *, actor: User, recommendation: Recommendation, helpful: bool, item: str = ""
) -> AssistFeedback:
    """A reviewer marks an output (or one item of it) helpful or not: stored per actor and item,
    audited, and feeding the agreement rate only. Changes nothing else."""
    if item not in feedback_items(recommendation):
        raise FeedbackInvalid(f"No item “{item}” in this {recommendation.get_kind_display()}.")
    with action(actor=actor):
        feedback, _ = AssistFeedback.objects.update_or_create(
            recommendation=recommendation,
            item=item,
            actor=actor,
            defaults={"helpful": helpful},
        )
        if not item:
            recommendation.reviewer_agreed = helpful
            recommendation.reviewed_by = actor
            recommendation.save(update_fields=["reviewer_agreed", "reviewed_by"])
        audit_append(
            category=AuditCategory.CHANGE,
            action="assist_feedback",
            obj=feedback,
            request_reference=recommendation.request.reference,
            detail={
                "recommendation": recommendation.pk,
                "kind": recommendation.kind,
                "item": item,
                "helpful": helpful,
                "model_version": recommendation.model_version,
            },
        )
    return feedback


def assist_settings_update(*, actor: User, **values: Any) -> AssistSettings:
    if not actor.is_tenant_admin:
        raise PermissionError("Only tenant administrators change assist settings.")
    settings, _ = AssistSettings.objects.get_or_create(pk=1)
    for key, value in values.items():
        setattr(settings, key, value)
    settings.full_clean()
    settings.save()
    return settings
