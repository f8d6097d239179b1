"""The SCIM app's refusals. Each carries RFC 7644's `scimType` (where one applies) and an HTTP
status; `apps.scim.views` answers them in SCIM's error shape."""

from __future__ import annotations

from enum import StrEnum

from apps.core.errors import CountersignError


class ScimErrorCode(StrEnum):
    # RFC 7644 section 3.12 scimType values.
    INVALID_FILTER = "invalidFilter"
    TOO_MANY = "tooMany"
    UNIQUENESS = "uniqueness"
    MUTABILITY = "mutability"
    INVALID_SYNTAX = "invalidSyntax"
    INVALID_PATH = "invalidPath"
    NO_TARGET = "noTarget"
    INVALID_VALUE = "invalidValue"
    # Ours, for statuses RFC 7644 gives no scimType.
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "notFound"
    NOT_SUPPORTED = "notSupported"
    ADMIN_ONLY = "admin_only"


# The codes that are RFC 7644 scimType values (the others are sent without a scimType).
SCIM_TYPES = {
    ScimErrorCode.INVALID_FILTER,
    ScimErrorCode.TOO_MANY,
    ScimErrorCode.UNIQUENESS,
    ScimErrorCode.MUTABILITY,
    ScimErrorCode.INVALID_SYNTAX,
    ScimErrorCode.INVALID_PATH,
    ScimErrorCode.NO_TARGET,
    ScimErrorCode.INVALID_VALUE,
}


class ScimError(CountersignError):
    code: str = ScimErrorCode.INVALID_VALUE
    http_status = 400

    @property
    def scim_type(self) -> str | None:
        return self.code if self.code in SCIM_TYPES else None


def invalid(message: str, code: ScimErrorCode = ScimErrorCode.INVALID_VALUE) -> ScimError:
    return ScimError(message, code=code, http_status=400)


def not_found(message: str) -> ScimError:
    return ScimError(message, code=ScimErrorCode.NOT_FOUND, http_status=404)


def conflict(message: str) -> ScimError:
    return ScimError(message, code=ScimErrorCode.UNIQUENESS, http_status=409)
