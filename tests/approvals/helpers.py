"""Building blocks for approvals tests: valid capital-purchase answers and shortcuts."""

from decimal import Decimal

from apps.approvals.services import request_create
from apps.workflows.models import WorkflowDefinition


def capital_data(amount: str = "120000") -> dict[str, str]:
    return {
        "item_description": "CT scanner upgrade",
        "vendor": "Acme Medical",
        "amount": amount,
        "cost_centre": "4100-RAD",
        "owning_department": "radiology",
        "justification": "The current scanner is past end of support.",
    }


def submit_capital(requester, amount: str = "120000"):
    workflow = WorkflowDefinition.objects.get(key="capital-purchase")
    return request_create(actor=requester, workflow=workflow, data=capital_data(amount))


def pending(request):
    return list(request.tasks.filter(status="pending").select_related("assignee"))


def money(value: str) -> Decimal:
    return Decimal(value)
