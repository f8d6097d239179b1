"""A real OpenID Connect provider on loopback for the identity tests: the django-oauth-toolkit
project in tests/identity/provider, run in a subprocess on a free port with its own users,
groups, RSA signing key and login page. `provider.misbehave(mode)` flips its switch."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
IDP_PASSWORD = "idp password 1"
# People of the IdP (not of Countersign): usernames, emails and groups.
IDP_PEOPLE = {
    "clara": {
        "email": "clara@alpha.test",
        "name": "Clara Clinician",
        "department": "Radiology",
        "manager_email": "bob@alpha.test",
        "groups": ["cs-utilization", "all-staff"],
    },
    "carol": {"email": "carol@alpha.test", "name": "Carol Requester", "groups": ["all-staff"]},
    "nomail": {"email": "", "name": "No Mail", "groups": []},
    # Partner staff (the partner console, public schema).
    "paula": {"email": "paula@partner-p.test", "name": "Paula P. Partner", "groups": []},
    "quinn": {"email": "quinn@partner-q.test", "name": "Quinn Other", "groups": []},
}
CLIENTS = {
    "alpha": ("countersign-alpha", "alpha client secret"),
    "bravo": ("countersign-bravo", "bravo client secret"),
    # Partner P's console sign-in (the root host).
    "partner": ("countersign-partner", "partner client secret"),
}


def _host(slug: str) -> str:
    return "localhost" if slug == "partner" else f"{slug}.localhost"


@dataclass(frozen=True)
class Provider:
    issuer: str
    port: int

    def control(self, **body) -> None:
        response = requests.post(
            f"http://127.0.0.1:{self.port}/_test/control", json=body, timeout=10
        )
        response.raise_for_status()

    def misbehave(self, mode: str) -> None:
        self.control(mode=mode)

    def allow_redirect(self, slug: str, uri: str) -> None:
        self.control(redirect_uris={CLIENTS[slug][0]: [uri]})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on (an IdP that is down)."""
    return _free_port()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    state = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (state / "signing-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    people = {name: {**person, "password": IDP_PASSWORD} for name, person in IDP_PEOPLE.items()}
    (state / "people.json").write_text(json.dumps(people))
    clients = [
        {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uris": [f"http://{_host(slug)}/sso/oidc/callback/"],
            "post_logout_redirect_uris": [f"http://{_host(slug)}/login/"],
        }
        for slug, (client_id, secret) in CLIENTS.items()
    ]
    (state / "clients.json").write_text(json.dumps(clients))
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = {
        **os.environ,
        "OIDC_PROVIDER_STATE": str(state),
        "OIDC_PROVIDER_ISSUER": issuer,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (state / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity.provider.run", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(
                f"The test OIDC provider did not start:\n{(state / 'provider.log').read_text()}"
            )
        time.sleep(0.2)
    provider = Provider(issuer=issuer, port=port)
    yield provider
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def idp(oidc_provider):
    """The provider, behaving normally at the start and end of each test."""
    oidc_provider.misbehave("normal")
    yield oidc_provider
    oidc_provider.misbehave("normal")
