"""The generic REST connector.

Contract with the ERP (configurable paths, JSON bodies, `Idempotency-Key` header on POST):
- POST {budget_check_path} -> {"available": bool, "remaining": "123.00", "currency": "USD"}
- POST {requisition_path} -> 200/201 {"id": "REQ-1", "status": "submitted"} (a repeated key
  returns the first requisition: the ERP dedupes)
- GET {requisition_path}?idempotency_key=<key> -> {"id": ..., "status": ...} or 404
"""

from __future__ import annotations

from typing import Any

from apps.integrations.erp.base import (
    BudgetResult,
    Connector,
    PermanentError,
    RequisitionResult,
    Transport,
)
from apps.integrations.erp.models import ErpConnection


class GenericRestConnector(Connector):
    def __init__(self, connection: ErpConnection) -> None:
        self.connection = connection
        headers = {}
        token = connection.auth_token
        if token:
            headers[connection.auth_header or "Authorization"] = token
        self.transport = Transport(
            connection.base_url, headers=headers, timeout=float(connection.timeout_seconds)
        )

    def check_budget(self, *, payload: dict[str, Any], idempotency_key: str) -> BudgetResult:
        _, data = self.transport.request(
            "POST",
            self.connection.budget_check_path,
            body=payload,
            headers={"Idempotency-Key": idempotency_key},
        )
        available = data.get("available")
        if not isinstance(available, bool):
            raise PermanentError("The ERP's budget answer has no true/false 'available'.")
        remaining = data.get("remaining")
        return BudgetResult(
            available=available,
            remaining=str(remaining) if remaining is not None else None,
            currency=str(data.get("currency") or "") or None,
        )

    def post_requisition(
        self, *, payload: dict[str, Any], idempotency_key: str
    ) -> RequisitionResult:
        _, data = self.transport.request(
            "POST",
            self.connection.requisition_path,
            body=payload,
            headers={"Idempotency-Key": idempotency_key},
            ok=(200, 201, 409),  # 409: the ERP already has this key and returns it
        )
        return _requisition(data)

    def find_requisition(self, *, idempotency_key: str) -> RequisitionResult:
        _, data = self.transport.request(
            "GET", self.connection.requisition_path, params={"idempotency_key": idempotency_key}
        )
        return _requisition(data)


def _requisition(data: dict[str, Any]) -> RequisitionResult:
    external_id = data.get("id")
    if not external_id:
        raise PermanentError("The ERP's requisition answer has no 'id'.")
    return RequisitionResult(
        external_id=str(external_id)[:120], status=str(data.get("status", ""))[:60]
    )
