"""Errors of integration services (webhooks, ERP, FHIR): the core error family with this
domain's codes."""

from enum import StrEnum

from apps.core.errors import InvalidInput, NotAllowed, NotFound, invalid_fields

__all__ = ["IntegrationErrorCode", "InvalidInput", "NotAllowed", "NotFound", "invalid_fields"]


class IntegrationErrorCode(StrEnum):
    INVALID = "invalid_input"
    ADMIN_ONLY = "admin_only"
    ENDPOINT_INACTIVE = "endpoint_inactive"
