"""Errors of ERP and callback services, each with a stable code and an HTTP status."""

from __future__ import annotations


class IntegrationError(Exception):
    code = "integration_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status


class BadSignature(IntegrationError):
    code = "bad_signature"
    http_status = 401


class UnknownSource(IntegrationError):
    code = "unknown_source"
    http_status = 404


class UnknownReference(IntegrationError):
    code = "unknown_reference"
    http_status = 404


class MalformedCallback(IntegrationError):
    code = "malformed"
    http_status = 400
