"""SAML 2.0 single logout, on pysaml2: the signed LogoutRequest Countersign sends to the IdP's
SingleLogoutService when a person signs out (SP-initiated; HTTP-Redirect), the IdP's
LogoutResponse to it, and a LogoutRequest the IdP sends us (IdP-initiated, HTTP-Redirect or
HTTP-POST), answered with a signed LogoutResponse.

A LogoutRequest from the IdP must be signed by the certificate in its metadata (pysaml2 lets
an unsigned one through for a service provider, so the check is here) and name the IdP as its
issuer. Each failure is an `SsoRefused` with a stable code; callers never see a library error.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import StatusError
from saml2.saml import NameID
from saml2.samlp import STATUS_SUCCESS
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import SIG_RSA_SHA256

from apps.identity.exceptions import IdentityErrorCode, SsoRefused
from apps.identity.models import IdentityProvider
from apps.identity.saml import SpUrls, sp_client

logger = logging.getLogger(__name__)
REQUEST_TTL_SECONDS = 600


@dataclass(frozen=True)
class SamlSession:
    """What the IdP said of a SAML sign-in, kept in the Countersign session for its logout."""

    name_id: str
    name_id_format: str
    session_index: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name_id": self.name_id,
            "name_id_format": self.name_id_format,
            "session_index": self.session_index,
        }

    @classmethod
    def from_dict(cls, value: Any) -> SamlSession | None:
        if not isinstance(value, dict) or not value.get("name_id"):
            return None
        return cls(
            name_id=str(value["name_id"]),
            name_id_format=str(value.get("name_id_format", "")),
            session_index=str(value.get("session_index", "")),
        )


@dataclass(frozen=True)
class LogoutAsked:
    """A checked LogoutRequest from the IdP: whom it names, and the answer to send back."""

    name_id: str
    session_indexes: tuple[str, ...]
    answer_url: str


def _schema() -> str:
    return str(getattr(connection, "schema_name", "public"))


def _refused(code: IdentityErrorCode, message: str, status: int = 400) -> SsoRefused:
    return SsoRefused(message, code=code, http_status=status)


def _invalid() -> SsoRefused:
    return _refused(
        IdentityErrorCode.INVALID_TOKEN,
        "The sign-out message could not be read. Close the browser to end your session.",
    )


def _slo_endpoint(client: Any, entity_id: str) -> dict[str, str] | None:
    for binding in (BINDING_HTTP_REDIRECT,):
        try:
            services = client.metadata.single_logout_service(entity_id, binding, "idpsso")
        except Exception:
            services = []
        for service in services or []:
            if service.get("location"):
                return {
                    "location": str(service["location"]),
                    "response_location": str(service.get("response_location") or ""),
                }
    return None


def idp_supports_logout(provider: IdentityProvider, urls: SpUrls) -> bool:
    """The IdP's metadata names a SingleLogoutService (HTTP-Redirect)."""
    if not provider.saml_idp_metadata_xml:
        return False
    with sp_client(provider, urls) as client:
        return _slo_endpoint(client, provider.saml_idp_entity_id) is not None


def _request_key(request_id: str) -> str:
    return f"saml-logout:{_schema()}:{request_id[:100]}"


def logout_request(
    provider: IdentityProvider, urls: SpUrls, session: SamlSession, *, user_id: int
) -> str | None:
    """The IdP URL carrying our signed LogoutRequest for this sign-in (HTTP-Redirect), or None
    when the IdP's metadata has no SingleLogoutService. The request's ID is remembered (10
    minutes, once) for the IdP's LogoutResponse."""
    with sp_client(provider, urls) as client:
        endpoint = _slo_endpoint(client, provider.saml_idp_entity_id)
        if endpoint is None:
            return None
        try:
            name_id = NameID(text=session.name_id, format=session.name_id_format or None)
            request_id, message = client.create_logout_request(
                endpoint["location"],
                provider.saml_idp_entity_id,
                name_id=name_id,
                session_indexes=[session.session_index] if session.session_index else None,
                sign=False,
            )
            info = client.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(message),
                endpoint["location"],
                relay_state="",
                sign=True,
                sigalg=SIG_RSA_SHA256,
            )
        except Exception:
            logger.exception("SAML LogoutRequest could not be built")
            return None
    cache.set(_request_key(str(request_id)), str(user_id), REQUEST_TTL_SECONDS)
    return str(dict(info["headers"])["Location"])


def _signature_check(
    client: Any, provider: IdentityProvider, query: dict[str, str], kind: str, embedded: bool
) -> None:
    """The message is signed by the IdP: a query-string signature (HTTP-Redirect) checked
    against the certificates of its metadata, or an XML signature pysaml2 already checked."""
    if "Signature" in query and "SigAlg" in query:
        certs = client.metadata.certs(provider.saml_idp_entity_id, "idpsso", "signing")
        message = {
            key: query[key] for key in (kind, "RelayState", "SigAlg", "Signature") if key in query
        }
        try:
            verified = any(
                verify_redirect_signature(message, client.sec.sec_backend, cert)
                for _name, cert in certs
            )
        except Exception:
            verified = False
        if not verified:
            raise _refused(
                IdentityErrorCode.BAD_SIGNATURE,
                "The sign-out's signature does not match your organisation's sign-in service.",
                401,
            )
        return
    if not embedded:
        raise _refused(
            IdentityErrorCode.UNSIGNED,
            "The sign-out was not signed by your organisation's sign-in service.",
            401,
        )


def _issuer_check(provider: IdentityProvider, message: Any) -> None:
    issuer = getattr(getattr(message, "issuer", None), "text", "") or ""
    if issuer.strip() != provider.saml_idp_entity_id:
        raise _refused(
            IdentityErrorCode.WRONG_ISSUER,
            "The sign-out came from a service other than your organisation's.",
            401,
        )


def _binding(method: str) -> str:
    return str(BINDING_HTTP_POST if method == "POST" else BINDING_HTTP_REDIRECT)


def _unsuccessful_response(client: Any, encoded: str, binding: str) -> Any:
    """A LogoutResponse whose status is not success (pysaml2 raises on it), read with its XML
    signature checked when it has one."""
    try:
        xml = client.unravel(encoded, binding, "LogoutResponse")
        return client.sec.correctly_signed_logout_response(xml, must=False)
    except Exception:
        return None


def logout_response_check(
    provider: IdentityProvider, urls: SpUrls, query: dict[str, str], *, method: str
) -> tuple[int, bool]:
    """The IdP's LogoutResponse to our request: signed by the IdP, from the IdP, answering a
    request this tenant sent and nobody answered yet. Returns (user id, IdP said success)."""
    with sp_client(provider, urls) as client:
        try:
            response = client.parse_logout_request_response(query["SAMLResponse"], _binding(method))
            message = response.response if response is not None else None
        except StatusError:
            # The IdP answered that it did not log the person out: still its signed answer.
            message = _unsuccessful_response(client, query["SAMLResponse"], _binding(method))
        except Exception as error:
            logger.warning("SAML LogoutResponse refused: %s", type(error).__name__)
            raise _invalid() from None
        if message is None:
            raise _invalid()
        _issuer_check(provider, message)
        _signature_check(client, provider, query, "SAMLResponse", bool(message.signature))
    user_id = cache.get(_request_key(str(message.in_response_to or "")))
    if user_id is None or not cache.delete(_request_key(str(message.in_response_to or ""))):
        raise _refused(
            IdentityErrorCode.STATE_MISMATCH,
            "This sign-out was not started here, or it was already finished.",
        )
    status = getattr(getattr(message.status, "status_code", None), "value", "")
    return int(user_id), status == STATUS_SUCCESS


def logout_request_check(
    provider: IdentityProvider, urls: SpUrls, query: dict[str, str], *, method: str
) -> LogoutAsked:
    """A LogoutRequest the IdP sent: signed by the IdP and from the IdP (else refused), with
    our signed LogoutResponse to send the browser back with (HTTP-Redirect)."""
    with sp_client(provider, urls) as client:
        binding = _binding(method)
        try:
            parsed = client.parse_logout_request(query["SAMLRequest"], binding)
        except Exception as error:
            logger.warning("SAML LogoutRequest refused: %s", type(error).__name__)
            raise _invalid() from None
        if parsed is None or parsed.message is None:
            raise _invalid()
        message = parsed.message
        _issuer_check(provider, message)
        _signature_check(client, provider, query, "SAMLRequest", bool(message.signature))
        name_id = getattr(message.name_id, "text", "") or ""
        if not name_id.strip():
            raise _invalid()
        endpoint = _slo_endpoint(client, provider.saml_idp_entity_id)
        if endpoint is None:
            raise _refused(
                IdentityErrorCode.NOT_CONFIGURED,
                "Your organisation's sign-in service has no sign-out address in its metadata.",
                404,
            )
        destination = endpoint["response_location"] or endpoint["location"]
        answer = client.create_logout_response(
            message, bindings=[BINDING_HTTP_REDIRECT], sign=False
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(answer),
            destination,
            relay_state=query.get("RelayState", ""),
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return LogoutAsked(
        name_id=name_id.strip(),
        session_indexes=tuple(str(index.text) for index in message.session_index or []),
        answer_url=str(dict(info["headers"])["Location"]),
    )


# The Countersign sessions a SAML sign-in opened, by the IdP subject: an IdP-initiated logout
# arrives by a cross-site POST without the session cookie, so the sessions are found here.
def _sessions_key(issuer: str, name_id: str) -> str:
    digest = hashlib.sha256(f"{issuer}\n{name_id}".encode()).hexdigest()
    return f"saml-sessions:{_schema()}:{digest}"


def session_remember(issuer: str, name_id: str, session_key: str) -> None:
    key = _sessions_key(issuer, name_id)
    keys = [k for k in cache.get(key, []) if k != session_key][-19:]
    cache.set(key, [*keys, session_key], int(settings.SESSION_COOKIE_AGE))


def sessions_take(issuer: str, name_id: str) -> list[str]:
    key = _sessions_key(issuer, name_id)
    keys = list(cache.get(key, []))
    cache.delete(key)
    return keys
