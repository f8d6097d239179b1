"""Tenant-admin pages of the workflow designer: list, design, validate, preview, publish,
import and export. Views parse forms and call `designer` helpers and services; nothing here
edits a spec by itself."""

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from apps.core.errors import CountersignError
from apps.core.mixins import TenantAdminMixin
from apps.people.selectors import (
    active_user_names,
    department_names,
    directory_snapshot,
    role_names,
)
from apps.workflows import designer, route_preview
from apps.workflows.engine import field_visibility
from apps.workflows.engine.conditions import BUILTIN_FIELDS
from apps.workflows.forms import (
    CONDITION_ROWS,
    VISIBILITY_LABELS,
    BasicsForm,
    FieldForm,
    ImportForm,
    InstallTemplateForm,
    MinimumNecessaryForm,
    NewWorkflowForm,
    PreviewForm,
    PublishForm,
    StageForm,
    StepForm,
)
from apps.workflows.library import TemplateNotFoundError, load_pack, load_template
from apps.workflows.models import WorkflowDefinition
from apps.workflows.services import (
    template_pack_install,
    workflow_create,
    workflow_draft_import,
    workflow_draft_save,
    workflow_publish,
    workflow_spec_check,
)

if TYPE_CHECKING:
    from apps.accounts.models import User


def _messages_of(exc: CountersignError) -> list[str]:
    return exc.messages


def _form_errors(form: Any) -> str:
    parts: list[str] = []
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{name.replace('_', ' ')}: "
        parts.extend(f"{label}{e}" for e in errors)
    return "; ".join(parts)


def _definition(pk: int) -> WorkflowDefinition:
    return get_object_or_404(WorkflowDefinition.objects.select_related("current_version"), pk=pk)


def _published_spec(definition: WorkflowDefinition) -> dict[str, Any] | None:
    return definition.current_version.spec if definition.current_version else None


def _editable(definition: WorkflowDefinition) -> dict[str, Any]:
    return designer.editable_spec(definition.draft_spec, _published_spec(definition))


def _people() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Names for pick lists: roles by key, active users by email, departments by key."""
    return role_names(), active_user_names(), department_names()


def _condition_fields(spec: dict[str, Any]) -> dict[str, str]:
    fields = {
        f["name"]: f.get("type", "text")
        for f in spec.get("form", {}).get("fields", [])
        if isinstance(f, dict) and f.get("name")
    }
    return {**fields, **{k: v for k, v in BUILTIN_FIELDS.items() if k not in fields}}


# --- list, create, install ----------------------------------------------------------------------


class WorkflowListView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, NewWorkflowForm())

    def render(
        self, request: HttpRequest, form: NewWorkflowForm, status: int = 200
    ) -> HttpResponse:
        definitions = list(
            WorkflowDefinition.objects.select_related("current_version").order_by("name")
        )
        installed = {d.key for d in definitions}
        pack = load_pack()
        templates = []
        for name in pack["templates"]:
            key = name.removesuffix(".json")
            spec = load_template(key)
            templates.append(
                {
                    "key": key,
                    "name": spec.get("name", key),
                    "category": spec.get("category", ""),
                    "installed": spec.get("key") in installed,
                }
            )
        context = {"definitions": definitions, "templates": templates, "pack": pack, "form": form}
        return render(request, "workflows/list.html", context, status=status)


class WorkflowCreateView(TenantAdminMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = NewWorkflowForm(request.POST)
        if form.is_valid():
            try:
                definition = workflow_create(actor=cast("User", request.user), **form.cleaned_data)
            except CountersignError as exc:
                for message in _messages_of(exc):
                    form.add_error("key", message)
            else:
                messages.success(request, f"Created “{definition.name}”. Add its form and stages.")
                return HttpResponseRedirect(reverse("workflows:designer", args=[definition.pk]))
        return WorkflowListView().render(request, form, status=400)


class TemplateInstallView(TenantAdminMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = InstallTemplateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a template to install.")
            return HttpResponseRedirect(reverse("workflows:list"))
        key = form.cleaned_data["template_key"]
        try:
            installed = template_pack_install(actor=cast("User", request.user), template_keys=[key])
        except TemplateNotFoundError as exc:
            messages.error(request, str(exc))
        except CountersignError as exc:
            messages.error(
                request, f"“{key}” could not be installed: " + "; ".join(_messages_of(exc))
            )
        else:
            messages.success(request, f"Installed “{installed[0].name}”.")
        return HttpResponseRedirect(reverse("workflows:list"))


# --- designer -----------------------------------------------------------------------------------


def _step_context(
    spec: dict[str, Any], stage_i: int, step_i: int, step: dict[str, Any], sections: dict[str, Any]
) -> dict[str, Any]:
    parsed = designer.rows_from_condition(step.get("when"))
    rows, combinator = parsed if parsed is not None else ([], "all")
    rows = rows + [designer.ConditionRow("", "==", "")] * max(0, CONDITION_ROWS - len(rows))
    quorum = step.get("quorum", "any")
    sla = step.get("sla") or {}
    calendars = [c.get("calendar") for c in sla.values() if isinstance(c, dict)]
    return {
        "index": step_i,
        "stage_index": stage_i,
        "step": step,
        "anchor": f"step-{stage_i}-{step_i}",
        "approvers": set(step.get("approvers") or []),
        "quorum_kind": quorum if quorum in ("any", "all") else "number",
        "quorum_n": quorum if isinstance(quorum, int) else "",
        "when_rows": rows[:CONDITION_ROWS] if parsed is not None else [],
        "when_combinator": combinator,
        "when_fixed": json.dumps(step.get("when")) if parsed is None else "",
        "sla_standard": (sla.get("standard") or {}).get("hours", ""),
        "sla_expedited": (sla.get("expedited") or {}).get("hours", ""),
        "sla_calendar": calendars[0] if calendars else "calendar",
        "problems": sections.get(f"step-{stage_i}-{step_i}", []),
    }


def designer_context(
    definition: WorkflowDefinition,
    problems: list[str] | None = None,
    form_problems: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The designer page; `problems` from Validate, `form_problems` from a refused edit, by
    section (shown where the edit was made)."""
    spec = _editable(definition)
    roles, users, _ = _people()
    sections = designer.problems_by_section(problems or [])
    for section, messages_ in (form_problems or {}).items():
        sections.setdefault(section, []).extend(messages_)
    fields = spec.get("form", {}).get("fields", [])
    stages = []
    for i, stage in enumerate(spec.get("stages", [])):
        steps = [
            _step_context(spec, i, j, step, sections)
            for j, step in enumerate(stage.get("steps", []))
        ]
        stages.append(
            {
                "index": i,
                "stage": stage,
                "steps": steps,
                "problems": sections.get(f"stage-{i}", []),
                "first": i == 0,
                "last": i == len(spec["stages"]) - 1,
            }
        )
    published = _published_spec(definition)
    return {
        "definition": definition,
        "spec": spec,
        "fields": [
            {
                "index": i,
                "field": f,
                "choices_text": "\n".join(f.get("choices") or []),
                "visibility": field_visibility(f),
                "problems": sections.get(f"field-{i}", []),
            }
            for i, f in enumerate(fields)
        ],
        "amount_options": [
            f.get("name") for f in fields if f.get("type") in ("money", "number") and f.get("name")
        ],
        "stages": stages,
        "field_types": designer.FIELD_TYPES,
        "visibilities": list(VISIBILITY_LABELS.items()),
        "roles": sorted(roles.items(), key=lambda item: item[1].lower()),
        "phi_hidden": list(spec.get("phi_hidden_from_roles") or []),
        "sensitive_hidden": list(spec.get("sensitive_hidden_from_roles") or []),
        "ops": designer.OPS,
        "condition_fields": list(_condition_fields(spec)),
        "approver_groups": designer.approver_options(spec, roles=roles, users=users),
        "versions": definition.versions.select_related("published_by").order_by("-number"),
        "has_draft": bool(definition.draft_spec) and definition.draft_spec != published,
        "validated": problems is not None,
        "problems": problems or [],
        "sections": sections,
        "publish_form": PublishForm(),
    }


class DesignerView(TenantAdminMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = _definition(pk)
        return render(request, "workflows/designer.html", designer_context(definition))


class ValidateView(TenantAdminMixin, View):
    """Check the draft against the tenant's roles, users and departments; list every problem."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = _definition(pk)
        try:
            workflow_spec_check(_editable(definition))
        except CountersignError as exc:
            problems = _messages_of(exc)
        else:
            problems = []
        return render(request, "workflows/designer.html", designer_context(definition, problems))


class DesignerEditView(TenantAdminMixin, View):
    """One edit of the draft, named by `action`; each parses its form and calls a helper."""

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        handler: Callable[..., Any] | None = getattr(self, f"do_{action.replace('-', '_')}", None)
        if handler is None:
            raise Http404("Unknown designer action.")
        definition = _definition(pk)
        spec = _editable(definition)
        anchor = ""
        try:
            result = handler(request.POST, spec)
        except (IndexError, KeyError, ValueError, TypeError):
            messages.error(request, "That part of the workflow no longer exists; reload the page.")
            result = None
        except _Invalid as exc:
            if exc.section:  # shown on the part of the page that was edited
                context = designer_context(definition, form_problems={exc.section: [str(exc)]})
                return render(request, "workflows/designer.html", context, status=400)
            messages.error(request, str(exc))
            result = None
        if result is not None:
            new_spec, anchor = result
            try:
                workflow_draft_save(
                    actor=cast("User", request.user), definition=definition, spec=new_spec
                )
            except CountersignError as exc:
                messages.error(request, "; ".join(_messages_of(exc)))
            else:
                messages.success(request, "Draft saved." if new_spec else "Draft discarded.")
        url = reverse("workflows:designer", args=[pk])
        return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)

    # Each handler returns (new spec, anchor to scroll to) or raises _Invalid.

    def do_basics(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        form = _valid(BasicsForm(post))
        return designer.set_basics(spec, form.cleaned_data), "basics"

    def do_add_field(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        form = _valid(FieldForm(post), section="fields")
        return designer.add_field(spec, form.cleaned_data), "fields"

    def do_field(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        index = int(post["index"])
        spec["form"]["fields"][index]  # an IndexError when it is gone
        form = _valid(FieldForm(post), section=f"field-{index}")
        return designer.set_field(spec, index, form.cleaned_data), f"field-{index}"

    def do_minimum_necessary(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        roles, _, _ = _people()
        form = _valid(MinimumNecessaryForm(post, roles=roles), section="minimum")
        return designer.set_minimum_necessary(spec, **form.cleaned_data), "minimum"

    def do_remove_field(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return designer.remove_field(spec, int(post["index"])), "fields"

    def do_add_stage(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        form = _valid(StageForm(post))
        new = designer.add_stage(spec, form.cleaned_data["name"])
        return new, f"stage-{len(new['stages']) - 1}"

    def do_stage(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        index = int(post["stage"])
        form = _valid(StageForm(post))
        key = form.cleaned_data["key"] or spec["stages"][index]["key"]
        return designer.set_stage(spec, index, name=form.cleaned_data["name"], key=key), (
            f"stage-{index}"
        )

    def do_remove_stage(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return designer.remove_stage(spec, int(post["stage"])), "stages"

    def do_move_stage(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        index, offset = int(post["stage"]), -1 if post.get("direction") == "up" else 1
        new = designer.move_stage(spec, index, offset)
        return new, f"stage-{max(0, min(index + offset, len(new['stages']) - 1))}"

    def do_add_step(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        stage = int(post["stage"])
        form = _valid(StageForm({"name": post.get("name", "")}))
        new = designer.add_step(spec, stage, form.cleaned_data["name"])
        return new, f"step-{stage}-{len(new['stages'][stage]['steps']) - 1}"

    def do_step(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        stage, step = int(post["stage"]), int(post["step"])
        spec["stages"][stage]["steps"][step]  # an IndexError when it is gone
        roles, users, _ = _people()
        values = [
            v
            for _, options in designer.approver_options(spec, roles=roles, users=users)
            for v, _ in options
        ]
        form = _valid(
            StepForm(post, approver_values=values, condition_fields=_condition_fields(spec))
        )
        return designer.set_step(spec, stage, step, form.step_values()), f"step-{stage}-{step}"

    def do_remove_step(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        stage = int(post["stage"])
        return designer.remove_step(spec, stage, int(post["step"])), f"stage-{stage}"

    def do_discard(self, post: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return {}, ""


class _Invalid(Exception):
    def __init__(self, message: str, section: str = "") -> None:
        super().__init__(message)
        self.section = section


def _valid(form: Any, *, section: str = "") -> Any:
    """The form, validated; otherwise _Invalid, shown on `section` of the page when given."""
    if not form.is_valid():
        raise _Invalid(_form_errors(form), section)
    return form


# --- publish ------------------------------------------------------------------------------------


class PublishView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = _definition(pk)
        form = PublishForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return HttpResponseRedirect(reverse("workflows:designer", args=[pk]))
        if not definition.draft_spec or definition.draft_spec == _published_spec(definition):
            messages.info(request, "Nothing to publish: the draft has no changes.")
            return HttpResponseRedirect(reverse("workflows:designer", args=[pk]))
        try:
            version = workflow_publish(
                actor=cast("User", request.user),
                spec=definition.draft_spec,
                note=form.cleaned_data["note"],
            )
        except CountersignError as exc:
            messages.error(request, "Fix these problems before publishing.")
            context = designer_context(definition, _messages_of(exc))
            return render(request, "workflows/designer.html", context, status=400)
        messages.success(request, f"Published version {version.number}.")
        return HttpResponseRedirect(reverse("workflows:designer", args=[pk]) + "#versions")


# --- preview ------------------------------------------------------------------------------------


class PreviewView(TenantAdminMixin, View):
    """Route sample data through the draft with the pure engine; nothing is stored."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.handle(request, pk, None)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.handle(request, pk, request.POST)

    def handle(self, request: HttpRequest, pk: int, data: Any) -> HttpResponse:
        definition = _definition(pk)
        spec = _editable(definition)
        _, users, departments = _people()
        initial = {"requester": getattr(request.user, "email", "")}
        form = PreviewForm(data, initial=initial, spec=spec, users=users, departments=departments)
        context: dict[str, Any] = {"definition": definition, "form": form, "users": users}
        try:
            parsed = workflow_spec_check(spec)
        except CountersignError as exc:
            context["problems"] = _messages_of(exc)
            return render(request, "workflows/preview.html", context)
        if data is not None and form.is_valid():
            now = timezone.now()
            route = route_preview.simulate_route(
                parsed,
                requester=form.cleaned_data["requester"],
                data=form.sample_data(),
                urgency=form.cleaned_data["urgency"],
                department=form.cleaned_data["department"] or None,
                directory=directory_snapshot(now=now),
                now=now,
            )
            for name, errors in route.errors.items():
                target = f"f_{name}" if f"f_{name}" in form.fields else None
                for error in errors:
                    form.add_error(target, f"{name}: {error}" if target is None else error)
            context["route"] = route
            context["route_rows"] = [
                {
                    "step": r,
                    "assigned": [_person(who, users) for who in r.assignees],
                    "approved": [_person(who, users) for who in r.approved_by],
                }
                for r in route.steps
            ]
        return render(request, "workflows/preview.html", context)


def _person(who: str, users: dict[str, str]) -> str:
    if who.startswith("queue:"):
        return f"the {who.removeprefix('queue:')} queue"
    return users.get(who, who)


# --- import and export --------------------------------------------------------------------------


class ImportView(TenantAdminMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = _definition(pk)
        return render(
            request, "workflows/import.html", {"definition": definition, "form": ImportForm()}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = _definition(pk)
        form = ImportForm(request.POST, request.FILES)
        problems: list[str] = []
        if form.is_valid():
            try:
                workflow_draft_import(
                    actor=cast("User", request.user),
                    definition=definition,
                    spec=form.cleaned_data["spec"],
                )
            except CountersignError as exc:
                problems = _messages_of(exc)
            else:
                messages.success(request, "Imported into the draft. Review it, then publish.")
                return HttpResponseRedirect(reverse("workflows:designer", args=[pk]))
        context = {"definition": definition, "form": form, "problems": problems}
        return render(request, "workflows/import.html", context, status=400)


class ExportView(TenantAdminMixin, View):
    """Download a spec as JSON: `?source=draft`, `?version=<n>`, or else the current version."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = _definition(pk)
        number = request.GET.get("version")
        if request.GET.get("source") == "draft" or (
            number is None and definition.current_version is None
        ):
            spec, suffix = _editable(definition), "draft"
        else:
            version = (
                definition.versions.filter(number=int(number)).first()
                if number and number.isdigit()
                else definition.current_version
            )
            if version is None:
                raise Http404("No such version.")
            spec, suffix = version.spec, f"v{version.number}"
        response = HttpResponse(
            json.dumps(spec, indent=2, ensure_ascii=False) + "\n",
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{definition.key}-{suffix}.json"'
        return response
