"""Errors of tenant provisioning and partner actions: the core error family with the tenants
domain's codes, each with a message a partner admin can act on."""

from enum import StrEnum

from apps.core.errors import (
    Conflict,
    CountersignError,
    InvalidInput,
    NotAllowed,
    NotFound,
    invalid_fields,
)

__all__ = [
    "Conflict",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "ProvisioningError",
    "TenantErrorCode",
    "invalid_fields",
]


class TenantErrorCode(StrEnum):
    INVALID = "invalid"  # the partner API's historical code for invalid fields
    SLUG_INVALID = "slug_invalid"
    SLUG_TAKEN = "slug_taken"
    NAME_MISSING = "name_missing"
    TIME_ZONE_INVALID = "time_zone_invalid"
    BRANDING_INVALID = "branding_invalid"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TYPE = "image_type"
    IMAGE_UNSAFE = "image_unsafe"
    PACK_UNKNOWN = "pack_unknown"
    DOMAIN_INVALID = "domain_invalid"
    STATUS_INVALID = "status_invalid"
    OTHER_PARTNER = "other_partner"
    PARTNER_ADMIN_ONLY = "partner_admin_only"
    FORBIDDEN = "forbidden"
    PROVISIONING_UNAVAILABLE = "provisioning_unavailable"
    ADMIN_ONLY = "admin_only"
    SUPPORT_GRANT_STATE = "support_grant_state"
    NOT_YOURS = "not_yours"
    VERSION_EXISTS = "version_exists"
    NO_UPDATE = "no_update"
    LOCAL_CHANGES = "local_changes"
    INVALID_INPUT = "invalid_input"
    CLUSTER_UNKNOWN = "cluster_unknown"
    TENANT_MOVING = "tenant_moving"
    MOVE_FAILED = "tenant_move_failed"


class ProvisioningError(CountersignError):
    """The platform is not ready to create tenants (for example, no template schema yet)."""

    code = TenantErrorCode.PROVISIONING_UNAVAILABLE
    http_status = 503
