from django.db import models


class ConnectorKind(models.TextChoices):
    GENERIC_REST = "generic_rest", "Generic REST"


class PostingKind(models.TextChoices):
    BUDGET_CHECK = "budget_check", "Budget check"
    REQUISITION = "requisition", "Purchase requisition"


class PostingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Failed, will retry"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class Reconciliation(models.TextChoices):
    NOT_CHECKED = "not_checked", "Not checked"
    MATCHED = "matched", "Matched"
    MISSING = "missing", "Missing in ERP"
    RECOVERED = "recovered", "Found in ERP (recorded)"
    MISMATCH = "mismatch", "Mismatch"
    UNAVAILABLE = "unavailable", "ERP unavailable"


class CallbackSourceKind(models.TextChoices):
    PAYER = "payer", "Payer"
    ERP = "erp", "ERP"
