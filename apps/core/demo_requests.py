"""Demo workflows: install the template pack, fill its roles and create requests of every
template in several states (in review, approved, denied, needs information). Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.choices import RequestStatus, TaskStatus
from apps.approvals.exceptions import ApprovalError
from apps.approvals.models import ApprovalRequest
from apps.approvals.services import DecisionInput, request_create, task_claim, task_decide
from apps.people.models import Department, Role
from apps.people.services import department_ensure
from apps.workflows.models import WorkflowDefinition
from apps.workflows.services import template_pack_install

SAMPLES: dict[str, dict[str, Any]] = {
    "prior-auth-imaging": {
        "patient_name": "Jordan Demo-Patient", "member_id": "ACM123456789",
        "cpt_code": "72148", "diagnosis": "M54.50", "ordering_provider_npi": "1234567893",
        "conservative_therapy_weeks": "8",
        "clinical_notes": "Low back pain for 10 weeks despite physical therapy and NSAIDs.",
    },
    "capital-purchase": {
        "item_description": "Portable ultrasound system, 2 units", "vendor": "Acme Medical",
        "amount": "120000", "cost_centre": "4100-RAD",
        "justification": "Replaces units past end of support; bedside imaging in the ED.",
    },
    "staffing-request": {"position_title": "Registered nurse, night shift", "fte": "1",
                         "annual_cost": "98000", "justification": "Vacancy since June."},
    "claims-write-off": {"patient_account_number": "PA-00981", "amount": "3200",
                         "primary_diagnosis": "E11.9"},
    "formulary-exception": {"patient_name": "Alex Demo-Patient", "medication": "Semaglutide",
                            "diagnosis": "E11.9", "prescriber_npi": "1234567893",
                            "prior_therapies": "Metformin 12 months; intolerance."},
    "financial-assistance": {"patient_name": "Sam Demo-Patient", "household_size": "3",
                             "annual_household_income": "28000", "balance": "6400",
                             "patient_account_number": "PA-77120"},
    "referral-approval": {"patient_name": "Riley Demo-Patient", "diagnosis": "I10",
                          "referring_provider_npi": "1234567893",
                          "reason": "Uncontrolled hypertension on three agents."},
    "invoice-vendor-approval": {"vendor": "Northwind Linen", "invoice_number": "INV-2291",
                                "amount": "4800", "cost_centre": "4300-EVS",
                                "attachment": "upload:invoice-2291.pdf"},
    "discharge-coordination": {"patient_name": "Casey Demo-Patient", "mrn": "MRN-55120",
                               "unit": "4 West"},
}  # fmt: skip

# Which demo people fill which template role, per tenant.
ROLE_MEMBERS: dict[str, dict[str, list[str]]] = {
    "stbrigid": {
        "utilization_reviewer": ["reviewer"], "medical_director": ["meddir"],
        "director": ["director"], "vp": ["vp"], "cfo": ["cfo"], "board": ["board"],
        "hr": ["hr"], "finance_approver": ["finance"], "revenue_cycle_manager": ["revenue"],
        "pharmacist": ["pharmacy"], "pt_committee": ["pharmacy", "meddir"],
        "financial_counselor": ["counselor"], "referral_coordinator": ["reviewer"],
        "ap_clerk": ["ap"], "transport_coordinator": ["transport"],
        "case_manager": ["casemgr"],
    },
    "lakeside": {
        "utilization_reviewer": ["reviewer"], "medical_director": ["manager"],
        "director": ["manager"], "vp": ["cfo"], "cfo": ["cfo"], "board": ["board"],
        "hr": ["manager"], "finance_approver": ["finance"], "revenue_cycle_manager": ["finance"],
        "pharmacist": ["pharmacy"], "pt_committee": ["pharmacy", "manager"],
        "financial_counselor": ["reviewer"], "referral_coordinator": ["reviewer"],
        "ap_clerk": ["admin"], "transport_coordinator": ["reviewer"],
        "case_manager": ["manager"],
    },
}  # fmt: skip

STATES = ("in_review", "approved", "denied", "needs_info")


def _value_for(field: dict[str, Any], departments: list[str], users: list[str]) -> Any:
    kind = field["type"]
    if kind in ("choice", "multi_choice"):
        first = (field.get("choices") or [""])[0]
        return [first] if kind == "multi_choice" else first
    return {
        "text": "Demo value",
        "long_text": "Demo details.",
        "number": "1",
        "money": "1000",
        "date": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "datetime": (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "icd10": "E11.9",
        "cpt": "72148",
        "npi": "1234567893",
        "department": departments[0] if departments else "",
        "user": users[0] if users else "",
        "file": "upload:document.pdf",
    }.get(kind, "Demo")


def sample_data(spec: dict[str, Any], departments: list[str], users: list[str]) -> dict[str, Any]:
    """Valid answers for every required field, with realistic ones where we have them."""
    overrides = SAMPLES.get(spec["key"], {})
    data = {}
    for field in spec["form"]["fields"]:
        if field["name"] in overrides:
            data[field["name"]] = overrides[field["name"]]
        elif field.get("required"):
            data[field["name"]] = _value_for(field, departments, users)
    return data


def _drive(approval: ApprovalRequest, target: str, reason_code: str) -> None:
    """Decide the request's tasks, as their approvers would, until it reaches `target`."""
    for _ in range(12):
        approval.refresh_from_db()
        if approval.status != RequestStatus.IN_REVIEW or target == "in_review":
            return
        task = approval.tasks.filter(status=TaskStatus.PENDING).order_by("id").first()
        if task is None:
            return
        if task.assignee is None:
            if task.queue_role is None:  # left for an administrator to assign: stays pending
                print(f"  demo: {approval.reference} waits for an administrator to assign it")
                return
            member = task.queue_role.members.exclude(pk=approval.requester_id).first()
            if member is None:
                return
            task = task_claim(actor=member, task=task)
        actor = task.assignee
        if target == "denied":
            decision = DecisionInput("reject", reason_code, "Does not meet the policy criteria.")
        elif target == "needs_info":
            decision = DecisionInput("request_info", comment="Please attach the latest notes.")
        else:
            decision = DecisionInput("approve", comment="Looks right.")
        task_decide(actor=actor, task=task, decision=decision)  # type: ignore[arg-type]  # assigned or claimed above


def demo_workflows_seed(slug: str, requester_email: str) -> int:
    """Install the pack and create the demo requests once; returns how many were created."""
    admin = User.objects.filter(is_tenant_admin=True).first()
    template_pack_install(actor=admin)
    people = {u.email.split("@")[0]: u for u in User.objects.all()}
    for role_key, members in ROLE_MEMBERS[slug].items():
        role = Role.objects.get(key=role_key)
        role.members.add(*[people[m] for m in members if m in people])
    for key, name, head in (
        ("radiology", "Radiology", "director"),
        ("finance", "Finance", "cfo"),
        ("nursing", "Nursing", "manager" if slug == "lakeside" else "vp"),
    ):
        department_ensure(actor=None, key=key, name=name, head=people.get(head))
    requester = User.objects.get(email=requester_email)
    Department.objects.get(key="radiology").members.add(requester)
    if ApprovalRequest.objects.exists():
        return 0
    departments = list(Department.objects.values_list("key", flat=True))
    users = [u.email for u in people.values() if u.pk != requester.pk]
    created = 0
    for workflow in WorkflowDefinition.objects.select_related("current_version"):
        spec = workflow.current_version.spec  # type: ignore[union-attr]
        if spec.get("category") == "appeal":
            continue  # appeals are filed from a denial (apps.approvals.appeals), never on their own
        for index, target in enumerate(
            STATES[:3] if workflow.key != "capital-purchase" else STATES
        ):
            data = sample_data(spec, departments, users)
            urgency = "expedited" if index == 1 and "prior" in workflow.key else "standard"
            try:
                request = request_create(
                    actor=requester, workflow=workflow, data=data, urgency=urgency
                )
                _drive(request, target, "INCOMPLETE_DOCUMENTATION")
            except ApprovalError as error:  # a demo must never stop half-way; say why
                print(f"  demo: {workflow.key} ({target}) not created: {error.message} "
                      f"{error.fields or ''}")  # fmt: skip
                continue
            created += 1
    return created
