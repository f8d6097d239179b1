"""A real SAML 2.0 identity provider for the identity tests: pysaml2's own IdP (`Server`) with
its own RSA key, self-signed certificate and metadata, made for the run. It answers
Countersign's AuthnRequests (SP-initiated) or signs in unasked (IdP-initiated) with signed
Responses for a given person and groups, and can be told to misbehave: unsigned, a signature
broken by tampering, another audience or recipient, expired.

Its metadata is served over loopback HTTP (`metadata_url`) for the "by URL" configuration.
"""

from __future__ import annotations

import base64
import datetime
import html
import http.server
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import LogoutResponse, Status, StatusCode
from saml2.server import Server
from saml2.xmldsig import SIG_RSA_SHA256

ENTITY_ID = "https://idp.saml.test/metadata"
# People of the IdP (not of Countersign): their persistent NameID, attributes and groups.
SAML_PEOPLE = {
    "clara": {
        "name_id": "idp-subject-clara",
        "email": "clara@alpha.test",
        "displayName": "Clara Clinician",
        "department": "Radiology",
        "manager": "bob@alpha.test",
        "groups": ["cs-utilization", "all-staff"],
    },
    "carol": {
        "name_id": "idp-subject-carol",
        "email": "carol@alpha.test",
        "displayName": "Carol Requester",
        "groups": ["all-staff"],
    },
}


def _key_pair(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test SAML IdP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / "idp.key", folder / "idp.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@dataclass
class SamlIdp:
    folder: Path
    sso_url: str
    # Its SingleLogoutService (HTTP-Redirect) in its metadata; "" for an IdP without one.
    slo_url: str = ""
    entity_id: str = ENTITY_ID
    key_file: Path = field(init=False)
    cert_file: Path = field(init=False)
    metadata_url: str = ""

    def __post_init__(self) -> None:
        self.key_file, self.cert_file = _key_pair(self.folder)
        self.metadata_xml = create_metadata_string(None, config=self._config(), valid=None).decode()

    def _config(self, lifetime_minutes: int = 5, sp_metadata: str = "") -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
                "service": {
                    "idp": {
                        "name": "Test SAML IdP",
                        "endpoints": {
                            "single_sign_on_service": [
                                (self.sso_url, BINDING_HTTP_REDIRECT),
                                (self.sso_url, BINDING_HTTP_POST),
                            ],
                            "single_logout_service": [(self.slo_url, BINDING_HTTP_REDIRECT)]
                            if self.slo_url
                            else [],
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime_minutes},
                                "attribute_restrictions": None,
                                "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    }
                },
            }
        )
        return config

    def request_id_of(self, redirect_url: str) -> str:
        """The ID of the AuthnRequest in Countersign's redirect to the IdP (HTTP-Redirect)."""
        query = parse_qs(urlsplit(redirect_url).query)
        request = Server(config=self._config()).parse_authn_request(
            query["SAMLRequest"][0], BINDING_HTTP_REDIRECT
        )
        return str(request.message.id)

    def response(
        self,
        person: str,
        *,
        acs_url: str,
        audience: str,
        in_response_to: str | None = None,
        signed: bool = True,
        sign_response: bool = False,
        lifetime_minutes: int = 5,
        recipient: str | None = None,
        groups: list[str] | None = None,
        sp_metadata: str = "",
    ) -> str:
        """A base64 SAMLResponse for `person`, as the IdP's HTTP-POST form carries it."""
        who = SAML_PEOPLE[person]
        identity = {
            key: [value] if isinstance(value, str) else list(value)
            for key, value in who.items()
            if key != "name_id"
        }
        if groups is not None:
            identity["groups"] = groups
        server = Server(config=self._config(lifetime_minutes, sp_metadata))
        xml = server.create_authn_response(
            identity=identity,
            in_response_to=in_response_to,
            destination=recipient or acs_url,
            sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=str(who["name_id"])),
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
                "authn_auth": self.entity_id,
            },
            sign_assertion=signed,
            sign_response=sign_response,
        )
        return base64.b64encode(str(xml).encode()).decode()

    def logout_request(
        self, person: str, *, destination: str, sp_entity_id: str, signed: bool = True,
        session_index: str = "",
    ) -> dict[str, str]:  # fmt: skip
        """The query of an IdP-initiated LogoutRequest for `person` (HTTP-Redirect, signed
        with the IdP's key in the query string unless `signed` is False)."""
        server = Server(config=self._config())
        _id, request = server.create_logout_request(
            destination,
            sp_entity_id,
            name_id=NameID(
                format=NAMEID_FORMAT_PERSISTENT, text=str(SAML_PEOPLE[person]["name_id"])
            ),
            session_indexes=[session_index] if session_index else None,
            sign=False,
        )
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), destination, relay_state="idp-relay",
            sign=signed, sigalg=SIG_RSA_SHA256,
        )  # fmt: skip
        location = dict(info["headers"])["Location"]
        return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}

    def logout_request_of(self, redirect_url: str, sp_metadata: str):
        """Countersign's LogoutRequest in its redirect to the IdP's SLO, its query-string
        signature checked against the SP certificate in `sp_metadata`."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect_url).query).items()}
        config = self._config(sp_metadata=sp_metadata)
        config._idp_want_authn_requests_signed = True  # pysaml2's "must be signed" switch
        server = Server(config=config)
        parsed = server.parse_logout_request(
            query["SAMLRequest"], BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"), sigalg=query["SigAlg"],
            signature=query["Signature"],
        )  # fmt: skip
        return parsed.message

    def logout_response(
        self, request, *, destination: str, sp_metadata: str, status: str | None = None
    ) -> dict[str, str]:
        """The query of the IdP's signed LogoutResponse to Countersign's LogoutRequest."""
        server = Server(config=self._config(sp_metadata=sp_metadata))
        response = server._status_response(
            LogoutResponse, server._issuer(), None if status is None else
            Status(status_code=StatusCode(value=status)), False,
            in_response_to=request.id, destination=destination,
        )  # fmt: skip
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT, str(response), destination, relay_state="",
            response=True, sign=True, sigalg=SIG_RSA_SHA256,
        )  # fmt: skip
        location = dict(info["headers"])["Location"]
        return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def tampered(saml_response: str, old: str, new: str) -> str:
    """The same signed Response with one value changed after signing (the signature breaks)."""
    xml = base64.b64decode(saml_response).decode()
    assert old in xml, f"{old!r} is not in the response"
    return base64.b64encode(xml.replace(old, new).encode()).decode()


def signature_stripped(saml_response: str) -> str:
    """The same Response with every XML signature cut out (as an attacker would)."""
    xml = base64.b64decode(saml_response).decode()
    stripped = re.sub(r"<(\w+:)?Signature\b.*?</(\w+:)?Signature>", "", xml, flags=re.DOTALL)
    assert stripped != xml, "the response had no signature"
    return base64.b64encode(stripped.encode()).decode()


class _MetadataHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/samlmetadata+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def serve_metadata(idp: SamlIdp) -> http.server.ThreadingHTTPServer:
    """Serve the IdP's metadata on a loopback port; sets `idp.metadata_url`."""
    handler = type("Handler", (_MetadataHandler,), {"body": idp.metadata_xml.encode()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    idp.metadata_url = f"http://127.0.0.1:{server.server_address[1]}/idp/metadata"
    return server


class _LoginHandler(http.server.BaseHTTPRequestHandler):
    """The IdP's own sign-in page for a browser: GET with Countersign's AuthnRequest shows a
    form; POST signs the named person in and auto-posts the signed Response to the ACS."""

    idp: SamlIdp

    def _html(self, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.startswith("/idp/metadata"):
            data = self.idp.metadata_xml.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        self._html(
            "<!doctype html><title>Test SAML IdP</title><h1>Sign in to Test SAML IdP</h1>"
            '<form method="post" action="/idp/sso">'
            f'<input type="hidden" name="query" value="{html.escape(query)}">'
            '<label>Username <input id="username" name="username"></label>'
            '<button type="submit">Sign in</button></form>'
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        redirect = f"{self.idp.sso_url}?{form['query'][0]}"
        query = parse_qs(urlsplit(redirect).query)
        request = Server(config=self.idp._config()).parse_authn_request(
            query["SAMLRequest"][0], BINDING_HTTP_REDIRECT
        )
        acs = str(request.message.assertion_consumer_service_url)
        answer = self.idp.response(
            form["username"][0],
            acs_url=acs,
            audience=str(request.message.issuer.text),
            in_response_to=str(request.message.id),
        )
        self._html(
            "<!doctype html><title>Signing in…</title>"
            f'<form id="saml" method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{answer}">'
            '<input type="hidden" name="RelayState" value=""></form>'
            "<script>document.getElementById('saml').submit()</script>"
        )

    def log_message(self, *args: object) -> None:
        pass


def serve_login(folder: Path) -> tuple[http.server.ThreadingHTTPServer, SamlIdp]:
    """An IdP with a browser sign-in page on a loopback port (its metadata at metadata_url)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LoginHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    idp = SamlIdp(folder=folder, sso_url=f"{base}/idp/sso")
    idp.metadata_url = f"{base}/idp/metadata"
    server.RequestHandlerClass = type("Handler", (_LoginHandler,), {"idp": idp})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, idp
