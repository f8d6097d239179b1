"""The OpenID Connect relying party, on authlib: discovery, the authorization request with PKCE,
the code exchange, and the ID token checked for signature (the IdP's JWKS), issuer, audience,
expiry and nonce. Everything is read from the tenant's row; nothing here is a Django setting.

Each failure becomes an `SsoRefused` with its stable code: callers never see a library error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from apps.identity.exceptions import IdentityErrorCode, SsoRefused
from apps.identity.models import IdentityProvider

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
# Clock skew tolerated between us and the IdP when checking exp / iat.
LEEWAY_SECONDS = 60
DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Pending:
    """What the session keeps between the redirect to the IdP and its answer."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Pending | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{key: str(data[key]) for key in cls.__dataclass_fields__})
        except KeyError:
            return None


@dataclass(frozen=True)
class SignedIn:
    """A completed code exchange: the ID token's validated claims and the token itself (kept in
    the session as the `id_token_hint` of the IdP's logout)."""

    claims: dict[str, Any]
    id_token: str


def _unreachable(what: str) -> SsoRefused:
    return SsoRefused(
        f"Your organisation's sign-in service did not answer ({what}). Try again in a few "
        "minutes; if it keeps happening, tell your administrator.",
        code=IdentityErrorCode.IDP_UNREACHABLE,
        http_status=502,
    )


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise _unreachable(what) from None
    if not isinstance(data, dict):
        raise _unreachable(what)
    return data


def discover(issuer_url: str) -> dict[str, Any]:
    """The IdP's metadata; its issuer must be the configured one (OpenID Discovery 4.3)."""
    metadata = _get_json(issuer_url.rstrip("/") + DISCOVERY_PATH, "discovery")
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise _unreachable("discovery")
    if metadata["issuer"].rstrip("/") != issuer_url.rstrip("/"):
        raise SsoRefused(
            "The sign-in service says it is someone other than the issuer configured here.",
            code=IdentityErrorCode.WRONG_ISSUER,
            http_status=502,
        )
    return metadata


def _session(provider: IdentityProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def authorization_start(*, provider: IdentityProvider, redirect_uri: str) -> tuple[str, Pending]:
    """The IdP's URL to send the browser to, and what to keep in the session meanwhile."""
    metadata = discover(provider.issuer_url)
    pending = Pending(
        state=generate_token(32),
        nonce=generate_token(32),
        code_verifier=generate_token(64),
        redirect_uri=redirect_uri,
    )
    url, _ = _session(provider, redirect_uri).create_authorization_url(
        metadata["authorization_endpoint"],
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
    )
    return url, pending


def code_exchange(*, provider: IdentityProvider, pending: Pending, code: str) -> SignedIn:
    """The validated claims of the ID token the IdP returns for `code`."""
    metadata = discover(provider.issuer_url)
    try:
        token = _session(provider, pending.redirect_uri).fetch_token(
            metadata["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending.code_verifier,
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException:
        raise _unreachable("token") from None
    except (OAuthError, ValueError):
        raise SsoRefused(
            "Your organisation's sign-in service refused to complete this sign-in. Start again "
            "from the sign-in page.",
            code=IdentityErrorCode.IDP_ERROR,
            http_status=400,
        ) from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise _invalid("no ID token came back")
    claims = id_token_validate(
        provider=provider, metadata=metadata, id_token=id_token, nonce=pending.nonce
    )
    return SignedIn(claims=claims, id_token=id_token)


def logout_url(*, provider: IdentityProvider, id_token: str, after: str) -> str | None:
    """Where to send the browser so the IdP ends its session too (OpenID Connect RP-Initiated
    Logout 1.0), coming back to `after`; None when the IdP has no `end_session_endpoint` or
    does not answer (the Countersign session is ended either way)."""
    try:
        metadata = discover(provider.issuer_url)
    except SsoRefused:
        logger.warning("sso.logout.idp_unreachable", extra={"idp": provider.name})
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = {"client_id": provider.client_id, "post_logout_redirect_uri": after}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _invalid(reason: str) -> SsoRefused:
    return SsoRefused(
        f"The sign-in could not be verified ({reason}). Start again from the sign-in page.",
        code=IdentityErrorCode.INVALID_TOKEN,
        http_status=401,
    )


def _decode(id_token: str, metadata: dict[str, Any]) -> Any:
    keys = KeySet.import_key_set(_get_json(metadata["jwks_uri"], "signing keys"))  # type: ignore[arg-type]
    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    # "none" and the HMAC family are never accepted: the key must be the IdP's public key.
    algorithms = [a for a in algorithms if a != "none" and not str(a).startswith("HS")]
    return jwt.decode(id_token, keys, algorithms=algorithms)


def id_token_validate(
    *, provider: IdentityProvider, metadata: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    try:
        try:
            decoded = _decode(id_token, metadata)
        except InvalidKeyIdError:
            raise BadSignatureError() from None
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
            },
            {"nonce": nonce, "client_id": provider.client_id},
        )
        claims.validate(leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise SsoRefused(
            "Your sign-in expired before it reached us. Start again from the sign-in page.",
            code=IdentityErrorCode.TOKEN_EXPIRED,
            http_status=401,
        ) from None
    except BadSignatureError:
        raise SsoRefused(
            "The sign-in was not signed by your organisation's sign-in service.",
            code=IdentityErrorCode.BAD_SIGNATURE,
            http_status=401,
        ) from None
    except ClaimError as error:
        raise _claim_refusal(error.claim) from None
    except (JoseError, ValueError, TypeError, KeyError):
        raise _invalid("the token is malformed") from None
    except Exception:
        # Whatever else a broken IdP answer trips in the libraries is a refusal with a page,
        # never a server error (logged without the token).
        logger.exception("ID token check failed unexpectedly")
        raise _invalid("the token could not be read") from None
    return dict(claims)


def _claim_refusal(claim: str) -> SsoRefused:
    if claim in {"aud", "azp"}:
        return SsoRefused(
            "The sign-in was meant for another application, not this organisation's Countersign.",
            code=IdentityErrorCode.WRONG_AUDIENCE,
            http_status=401,
        )
    if claim == "iss":
        return SsoRefused(
            "The sign-in came from a service other than your organisation's.",
            code=IdentityErrorCode.WRONG_ISSUER,
            http_status=401,
        )
    if claim == "nonce":
        return SsoRefused(
            "The sign-in does not belong to this browser session. Start again from the "
            "sign-in page.",
            code=IdentityErrorCode.NONCE_MISMATCH,
            http_status=401,
        )
    if claim in {"exp", "iat", "nbf"}:
        return SsoRefused(
            "Your sign-in expired before it reached us. Start again from the sign-in page.",
            code=IdentityErrorCode.TOKEN_EXPIRED,
            http_status=401,
        )
    return _invalid(f"the {claim} claim is wrong")
