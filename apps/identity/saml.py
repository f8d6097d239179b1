"""The SAML 2.0 service provider, on pysaml2 (signatures through Debian's xmlsec1 binary):
this tenant's SP metadata, the AuthnRequest of an SP-initiated sign-in (HTTP-Redirect), and the
IdP's Response at the ACS (HTTP-POST) checked for a signed assertion (the IdP's certificate
from its metadata), audience (our entity ID), recipient and destination (our ACS URL), time
window, InResponseTo (SP-initiated) and replay (`SamlAssertionSeen`). Everything is read from
the tenant's row; nothing here is a Django setting.

Each failure becomes an `SsoRefused` with its stable code: callers never see a library error.
"""

from __future__ import annotations

import base64
import datetime
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.response import (
    IncorrectlySigned,
    StatusError,
    UnsolicitedResponse,
    VerificationError,
)
from saml2.sigver import SignatureError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from apps.identity.exceptions import IdentityErrorCode, SsoRefused
from apps.identity.models import IdentityProvider, SamlAssertionSeen

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
# Clock skew tolerated between us and the IdP (NotBefore / NotOnOrAfter).
LEEWAY_SECONDS = 60
METADATA_MAX_BYTES = 2_000_000
SP_CERT_YEARS = 10


@dataclass(frozen=True)
class SpUrls:
    """This tenant's SP addresses (its host): the entity ID is the metadata URL."""

    metadata: str
    acs: str
    # Single logout (HTTP-Redirect and HTTP-POST); advertised in the SP metadata when set.
    slo: str = ""

    @property
    def entity_id(self) -> str:
        return self.metadata


def sp_key_pair_make(common_name: str) -> tuple[str, str]:
    """A fresh RSA key and self-signed certificate (PEM) for this tenant's SP."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "Countersign")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * SP_CERT_YEARS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def _unreachable() -> SsoRefused:
    return SsoRefused(
        "The identity provider's metadata could not be fetched from that address.",
        code=IdentityErrorCode.IDP_UNREACHABLE,
        http_status=502,
    )


def metadata_fetch(url: str) -> str:
    """The IdP's metadata XML at `url` (read when the settings are saved)."""
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException:
        raise _unreachable() from None
    if len(response.content) > METADATA_MAX_BYTES:
        raise _unreachable()
    return response.text


def metadata_entity_id(xml: str) -> str:
    """The IdP's entity ID in its metadata; `SsoRefused(invalid_input)` if it is not IdP
    metadata with a signing certificate and an HTTP-Redirect or HTTP-POST sign-in service."""
    from saml2.mdstore import InMemoryMetaData

    invalid = SsoRefused(
        "This is not a SAML identity provider's metadata (an EntityDescriptor with an "
        "IDPSSODescriptor, its signing certificate and a SingleSignOnService).",
        code=IdentityErrorCode.INVALID,
        http_status=400,
    )
    store = InMemoryMetaData(None, None)
    try:
        store.parse(xml)
    except Exception:
        raise invalid from None
    for entity_id, entity in store.items():
        if "idpsso_descriptor" not in entity:
            continue
        if store.certs(entity_id, "idpsso", "signing") and any(
            store.service(entity_id, "idpsso_descriptor", "single_sign_on_service", binding)
            for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)
        ):
            return str(entity_id)
    raise invalid


@contextmanager
def sp_client(provider: IdentityProvider, urls: SpUrls) -> Iterator[Saml2Client]:
    """pysaml2's client for this tenant. xmlsec1 reads keys from files: the SP key and
    certificate live in a private temporary folder only while the client is used."""
    folder = tempfile.mkdtemp(prefix="countersign-saml-")
    try:
        os.chmod(folder, 0o700)
        key_file = os.path.join(folder, "sp.key")
        cert_file = os.path.join(folder, "sp.crt")
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(provider.saml_sp_key)
        with open(cert_file, "w") as handle:
            handle.write(provider.saml_sp_certificate)
        config = SPConfig()
        config.load(
            {
                "entityid": urls.entity_id,
                "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
                "key_file": key_file,
                "cert_file": cert_file,
                "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
                "metadata": {"inline": [provider.saml_idp_metadata_xml]}
                if provider.saml_idp_metadata_xml
                else {},
                "accepted_time_diff": LEEWAY_SECONDS,
                "allow_unknown_attributes": True,
                "service": {
                    "sp": {
                        "name": provider.name or "Countersign",
                        "endpoints": {
                            "assertion_consumer_service": [(urls.acs, BINDING_HTTP_POST)],
                            "single_logout_service": [
                                (urls.slo, BINDING_HTTP_REDIRECT),
                                (urls.slo, BINDING_HTTP_POST),
                            ]
                            if urls.slo
                            else [],
                        },
                        # Signed assertions are required; a signed Response alone is not enough.
                        "want_assertions_signed": True,
                        "want_response_signed": False,
                        "authn_requests_signed": True,
                        # IdP-initiated sign-in (no AuthnRequest of ours to answer).
                        "allow_unsolicited": True,
                        "name_id_format_allow_create": True,
                    }
                },
            }
        )
        yield Saml2Client(config)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sp_metadata(provider: IdentityProvider, urls: SpUrls) -> str:
    """This tenant's SP metadata XML (entity ID, ACS URL, signing certificate)."""
    with sp_client(provider, urls) as client:
        xml = create_metadata_string(None, config=client.config, valid=None)
    return xml.decode() if isinstance(xml, bytes) else str(xml)


def authn_request(provider: IdentityProvider, urls: SpUrls, relay_state: str) -> tuple[str, str]:
    """The IdP URL (HTTP-Redirect binding, signed) and the request ID kept in the session."""
    with sp_client(provider, urls) as client:
        try:
            request_id, info = client.prepare_for_authenticate(
                entityid=provider.saml_idp_entity_id,
                relay_state=relay_state,
                binding=BINDING_HTTP_REDIRECT,
            )
        except Exception:
            logger.exception("SAML AuthnRequest could not be built")
            raise SsoRefused(
                "Single sign-on is not set up completely: the identity provider's metadata has "
                "no sign-in address. Ask your administrator.",
                code=IdentityErrorCode.NOT_CONFIGURED,
                http_status=404,
            ) from None
    location = dict(info["headers"])["Location"]
    return str(location), str(request_id)


@dataclass(frozen=True)
class Assertion:
    assertion_id: str
    name_id: str
    attributes: dict[str, list[str]]
    expires_at: datetime.datetime
    in_response_to: str
    # What a LogoutRequest to the IdP names (single logout): the NameID as sent, and the
    # session index of the authentication statement.
    name_id_format: str = ""
    session_index: str = ""


def _refusal(code: IdentityErrorCode, message: str) -> SsoRefused:
    return SsoRefused(message, code=code, http_status=401)


def _unsigned() -> SsoRefused:
    return _refusal(
        IdentityErrorCode.UNSIGNED,
        "The sign-in was not signed by your organisation's sign-in service.",
    )


def _bad_signature() -> SsoRefused:
    return _refusal(
        IdentityErrorCode.BAD_SIGNATURE,
        "The sign-in's signature does not match your organisation's sign-in service.",
    )


def _expired() -> SsoRefused:
    return _refusal(
        IdentityErrorCode.TOKEN_EXPIRED,
        "Your sign-in expired before it reached us. Start again from the sign-in page.",
    )


def _invalid(reason: str) -> SsoRefused:
    return _refusal(
        IdentityErrorCode.INVALID_TOKEN,
        f"The sign-in could not be verified ({reason}). Start again from the sign-in page.",
    )


def _wrong_recipient() -> SsoRefused:
    return _refusal(
        IdentityErrorCode.WRONG_RECIPIENT,
        "The sign-in was addressed to another Countersign address than this one.",
    )


@dataclass(frozen=True)
class _Peek:
    destination: str
    expired: bool


def _peek(saml_response: str) -> _Peek:
    """What an unchecked Response says of its Destination and validity, only to name the
    refusal pysaml2 gave (never to accept anything)."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(base64.b64decode(saml_response))
    except Exception:
        return _Peek(destination="", expired=False)
    now = timezone.now()
    expired = False
    for element in root.iter():
        until = element.get("NotOnOrAfter")
        if until:
            try:
                moment = datetime.datetime.fromisoformat(until.replace("Z", "+00:00"))
            except ValueError:
                continue
            expired = expired or moment + datetime.timedelta(seconds=LEEWAY_SECONDS) < now
    return _Peek(destination=str(root.get("Destination") or ""), expired=expired)


def _library_refusal(error: Exception) -> SsoRefused:
    text = str(error)
    if isinstance(error, SignatureError | IncorrectlySigned):
        return _unsigned() if "missing" in text.lower() else _bad_signature()
    if isinstance(error, ResponseLifetimeExceed | ToEarly):
        return _expired()
    if "AudienceRestrictions" in text:
        return _refusal(
            IdentityErrorCode.WRONG_AUDIENCE,
            "The sign-in was meant for another application, not this organisation's Countersign.",
        )
    if isinstance(error, VerificationError) and "recipient" in text.lower():
        return _wrong_recipient()
    if isinstance(error, UnsolicitedResponse):
        return SsoRefused(
            "This sign-in was not started in this browser, or it was already used. Start again "
            "from the sign-in page.",
            code=IdentityErrorCode.STATE_MISMATCH,
            http_status=400,
        )
    if isinstance(error, StatusError):
        return SsoRefused(
            "Your organisation's sign-in service did not sign you in. Start again from the "
            "sign-in page; if it keeps happening, tell your administrator.",
            code=IdentityErrorCode.IDP_ERROR,
            http_status=400,
        )
    return _invalid("the response is malformed")


def _has_signature(element: Any) -> bool:
    return bool(getattr(element, "signature", None))


def response_parse(
    *, provider: IdentityProvider, urls: SpUrls, saml_response: str, outstanding: dict[str, str]
) -> Assertion:
    """The checked assertion of the IdP's base64 `SAMLResponse`. `outstanding` maps the IDs of
    the AuthnRequests this browser sent to where they came from (empty: IdP-initiated)."""
    try:
        base64.b64decode(saml_response, validate=False)
    except ValueError:
        raise _invalid("the response is not base64") from None
    # Refusing early on what the Response says is safe; accepting waits for pysaml2's checks.
    if _peek(saml_response).destination not in {"", urls.acs}:
        raise _wrong_recipient()
    with sp_client(provider, urls) as client:
        try:
            response = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception as error:
            refusal = _library_refusal(error)
            if str(error) == "Condition not OK" and _peek(saml_response).expired:
                refusal = _expired()
            # The class only: pysaml2's messages may quote the assertion.
            logger.warning("SAML response refused: %s", type(error).__name__)
            raise refusal from None
    if response is None or response.assertion is None:
        raise _invalid("no assertion came back")
    assertion = response.assertion
    # pysaml2 accepts an assertion covered by a signed Response; Countersign wants the
    # assertion itself signed (encrypted assertions are checked when decrypted).
    if not _has_signature(assertion) and not getattr(response, "encrypted_assertion", None):
        raise _unsigned()
    if assertion.issuer is None or assertion.issuer.text != provider.saml_idp_entity_id:
        raise _refusal(
            IdentityErrorCode.WRONG_ISSUER,
            "The sign-in came from a service other than your organisation's.",
        )
    name_id = response.name_id.text.strip() if response.name_id is not None else ""
    expires = response.not_on_or_after or 0
    if not expires:
        raise _invalid("the assertion has no expiry")
    attributes = {
        str(name): [str(value) for value in values] for name, values in response.ava.items()
    }
    return Assertion(
        assertion_id=str(assertion.id),
        name_id=name_id,
        attributes=attributes,
        expires_at=datetime.datetime.fromtimestamp(expires + LEEWAY_SECONDS, tz=datetime.UTC),
        in_response_to=str(response.in_response_to or ""),
        name_id_format=str(getattr(response.name_id, "format", "") or ""),
        session_index=_session_index(assertion),
    )


def _session_index(assertion: Any) -> str:
    for statement in getattr(assertion, "authn_statement", None) or []:
        if statement.session_index:
            return str(statement.session_index)
    return ""


def assertion_remember(assertion: Assertion) -> None:
    """Refuse an assertion ID seen before (until its expiry); remember this one. Its own
    transaction on purpose: the ID stays used even when the sign-in it carried is refused."""
    SamlAssertionSeen.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            SamlAssertionSeen.objects.create(
                assertion_id=assertion.assertion_id[:255], expires_at=assertion.expires_at
            )
    except IntegrityError:
        raise _refusal(
            IdentityErrorCode.REPLAYED,
            "This sign-in was already used. Start again from the sign-in page.",
        ) from None


def claims_of(assertion: Assertion, groups_attribute: str) -> dict[str, Any]:
    """The assertion as claims for `claims_map`: one value per attribute (a list for the
    groups attribute), and `sub` the NameID."""
    claims: dict[str, Any] = {}
    for name, values in assertion.attributes.items():
        if name == groups_attribute:
            claims[name] = list(values)
        else:
            claims[name] = values[0] if len(values) == 1 else list(values)
    claims["sub"] = assertion.name_id
    return claims


REQUEST_TTL_SECONDS = 600


def _request_key(request_id: str) -> str:
    from django.db import connection

    schema = getattr(connection, "schema_name", "public")
    return f"saml-request:{schema}:{request_id[:100]}"


def request_remember(request_id: str) -> None:
    """An AuthnRequest this tenant sent: its answer may come back once, within 10 minutes.
    (Kept server-side: the IdP's cross-site POST carries no Lax session cookie.)"""
    from django.core.cache import cache

    cache.set(_request_key(request_id), "1", REQUEST_TTL_SECONDS)


def in_response_to_peek(saml_response: str) -> str:
    """The InResponseTo of the (not yet checked) Response, to look up the request it answers."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(base64.b64decode(saml_response))
    except Exception:
        raise _invalid("the response is not readable") from None
    return str(root.get("InResponseTo") or "")


def outstanding_take(in_response_to: str) -> dict[str, str]:
    """The outstanding request this Response answers, used up; an answer to a request this
    tenant never sent (or one already answered) is refused."""
    from django.core.cache import cache

    if not in_response_to:
        return {}  # IdP-initiated
    if not cache.delete(_request_key(in_response_to)):
        raise SsoRefused(
            "This sign-in was not started here, or it was already used. Start again from the "
            "sign-in page.",
            code=IdentityErrorCode.STATE_MISMATCH,
            http_status=400,
        )
    return {in_response_to: "/"}
