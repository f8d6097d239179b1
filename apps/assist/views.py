"""The advisory panel of a request (approvers and admins; requesters only if the tenant allows)
and the tenant's assist settings. Labelled "Advisory — does not decide" everywhere."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.decorators.http import require_POST

from apps.approvals.exceptions import NotFound
from apps.approvals.selectors import is_approver_of, request_for
from apps.assist.checklists import ChecklistInvalid, checklist_edit, checklists_ensure
from apps.assist.models import (
    AssistSettings,
    CriteriaChecklist,
    Recommendation,
    RecommendationKind,
)
from apps.assist.selectors import assist_settings, feedback_of
from apps.assist.services import (
    FeedbackInvalid,
    assist_run,
    assist_settings_update,
    recommendation_feedback,
    requester_missing,
)
from apps.core.mixins import TenantAdminMixin

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest


def _may_see_assist(user: User, approval: ApprovalRequest, settings: AssistSettings) -> bool:
    if user.is_tenant_admin:
        return True
    if is_approver_of(user, approval):
        return True
    return approval.requester_id == user.pk and settings.show_to_requester


def _approval(request: HttpRequest, reference: str) -> tuple[ApprovalRequest, AssistSettings]:
    try:
        approval = request_for(cast("User", request.user), reference)
    except NotFound as error:
        raise Http404(error.message) from error
    settings = assist_settings()
    if not settings.enabled or not _may_see_assist(cast("User", request.user), approval, settings):
        raise Http404("No advisory panel for you on this request.")
    return approval, settings


def _mark_feedback(rec: Recommendation, said: dict[tuple[int, str], bool]) -> None:
    """What the viewer already said, on the (unsaved, copied) output the panel shows."""
    rec.said = said.get((rec.pk, ""))  # type: ignore[attr-defined]  # display only
    output = dict(rec.output)
    if rec.kind == RecommendationKind.CRITERIA:
        output["results"] = [
            {**r, "said": said.get((rec.pk, str(r["key"])))} for r in output.get("results", [])
        ]
    if rec.kind == RecommendationKind.CONSISTENCY:
        output["findings"] = [
            {**f, "item": f"finding-{n}", "said": said.get((rec.pk, f"finding-{n}"))}
            for n, f in enumerate(output.get("findings", []))
        ]
    rec.output = output


@login_required
def panel(request: HttpRequest, reference: str) -> HttpResponse:
    approval, _ = _approval(request, reference)
    recommendations = assist_run(actor=cast("User", request.user), approval=approval)
    by_kind: dict[str, list[Recommendation]] = {}
    for rec in recommendations:
        by_kind.setdefault(rec.kind, []).append(rec)
    said = feedback_of(request.user, [r.pk for r in recommendations])
    for rec in recommendations:
        _mark_feedback(rec, said)
    context = {
        "approval": approval,
        "criteria": next(iter(by_kind.get(RecommendationKind.CRITERIA, [])), None),
        "consistency": by_kind[RecommendationKind.CONSISTENCY][0],
        "similar": by_kind[RecommendationKind.SIMILAR_CASES][0],
        "completeness": by_kind[RecommendationKind.COMPLETENESS][0],
        "classifications": by_kind.get(RecommendationKind.CLASSIFICATION, []),
        "risk": by_kind[RecommendationKind.DENIAL_RISK][0],
        "summary": by_kind[RecommendationKind.SUMMARY][0],
    }
    template = "assist/_panel.html" if getattr(request, "htmx", False) else "assist/panel.html"
    return render(request, template, context)


@login_required
def missing(request: HttpRequest, reference: str) -> HttpResponse:
    """The requester's own draft: what is missing before submitting, if the tenant allows it."""
    user = cast("User", request.user)
    try:
        approval = request_for(user, reference)
    except NotFound as error:
        raise Http404(error.message) from error
    if approval.requester_id != user.pk or approval.status != "draft":
        raise Http404("Nothing to show you here.")
    settings = assist_settings()
    if not (settings.enabled and settings.show_missing_to_requester):
        return HttpResponse(status=204)  # the tenant has not turned it on: nothing to show
    context = {"approval": approval, "missing": requester_missing(actor=user, approval=approval)}
    return render(request, "assist/_missing.html", context)


@login_required
@require_POST
def feedback(request: HttpRequest, reference: str, recommendation_id: int) -> HttpResponse:
    approval, _ = _approval(request, reference)
    recommendation = Recommendation.objects.filter(pk=recommendation_id, request=approval).first()
    if recommendation is None:
        raise Http404("No such recommendation.")
    answer = request.POST.get("helpful", request.POST.get("agreed", ""))
    if answer not in ("yes", "no"):
        return HttpResponse("Say helpful=yes or helpful=no.", status=400)
    try:
        recommendation_feedback(
            actor=cast("User", request.user),
            recommendation=recommendation,
            helpful=answer == "yes",
            item=request.POST.get("item", ""),
        )
    except FeedbackInvalid as error:
        return HttpResponse(f"{error} ({error.code})", status=400)
    messages.success(request, "Thank you: your feedback is recorded (it changes nothing else).")
    return redirect("assist:panel", reference=approval.reference)


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]  # ModelForm is not subscriptable at runtime
    class Meta:
        model = AssistSettings
        fields = [
            "enabled",
            "classifier_threshold",
            "show_to_requester",
            "show_missing_to_requester",
            "allow_external_phi",
            "external_provider",
        ]
        widgets = {
            "classifier_threshold": forms.NumberInput(attrs={"min": 0, "max": 1, "step": 0.05})
        }

    def clean_classifier_threshold(self) -> float:
        value: float = self.cleaned_data["classifier_threshold"]
        if not 0 <= value <= 1:
            raise forms.ValidationError("Between 0 and 1.")
        return value


class SettingsView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = SettingsForm(instance=assist_settings())
        return render(request, "assist/settings.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SettingsForm(request.POST, instance=assist_settings())
        if not form.is_valid():
            return render(request, "assist/settings.html", {"form": form}, status=400)
        assist_settings_update(actor=cast("User", request.user), **form.cleaned_data)
        messages.success(request, "Assist settings saved.")
        return redirect("assist:settings")


class ChecklistListView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        checklists_ensure()
        checklists = CriteriaChecklist.objects.filter(is_active=True).order_by("title")
        return render(request, "assist/criteria_list.html", {"checklists": checklists})


class ChecklistEditView(TenantAdminMixin, View):
    def _checklist(self, pk: int) -> CriteriaChecklist:
        checklist = CriteriaChecklist.objects.filter(pk=pk).first()
        if checklist is None:
            raise Http404("No such checklist.")
        return checklist

    def _render(
        self, request: HttpRequest, checklist: CriteriaChecklist, text: str, errors: list[str]
    ) -> HttpResponse:
        versions = CriteriaChecklist.objects.filter(key=checklist.key)
        context = {"checklist": checklist, "text": text, "errors": errors, "versions": versions}
        return render(request, "assist/criteria_edit.html", context, status=400 if errors else 200)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        checklist = self._checklist(pk)
        return self._render(request, checklist, json.dumps(checklist.criteria, indent=2), [])

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checklist = self._checklist(pk)
        text = request.POST.get("criteria", "")
        try:
            criteria = json.loads(text)
        except json.JSONDecodeError as error:
            message = f"The criteria are not valid JSON (line {error.lineno}: {error.msg})."
            return self._render(request, checklist, text, [message])
        try:
            saved = checklist_edit(
                actor=cast("User", request.user),
                checklist=checklist,
                title=request.POST.get("title", ""),
                criteria=criteria,
            )
        except ChecklistInvalid as error:
            return self._render(request, checklist, text, error.errors)
        messages.success(request, f"Saved as version {saved.version}.")
        return redirect("assist:criteria_edit", pk=saved.pk)
