"""The provider's OIDC validator: a groups (and department, manager) claim from the people file,
and a switch that makes it misbehave (wrong audience, expired or badly signed ID tokens)."""

import json
import time
from pathlib import Path

from django.conf import settings
from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

# Set by POST /_test/control: "normal", "wrong_audience", "expired", "bad_signature",
# "wrong_issuer", "wrong_nonce".
MODE = {"value": "normal"}


def people() -> dict:
    return json.loads((Path(settings.STATE) / "people.json").read_text())


class MisbehavingValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim goes into the ID token

    def get_additional_claims(self, request):
        person = people().get(request.user.username, {})
        return {
            "email": person.get("email", ""),
            "name": person.get("name", ""),
            "department": person.get("department", ""),
            "manager_email": person.get("manager_email", ""),
            "groups": [group.name for group in request.user.groups.order_by("name")],
        }

    def finalize_id_token(self, id_token, token, token_handler, request):
        mode = MODE["value"]
        serialized = super().finalize_id_token(id_token, token, token_handler, request)
        if mode == "normal":
            return serialized
        key = request.client.jwk_key
        header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
        claims = json.loads(jwt.JWT(jwt=serialized, key=key).claims)
        if mode == "wrong_audience":
            claims["aud"] = "someone-else"
        elif mode == "expired":
            claims["iat"] = int(time.time()) - 3600
            claims["exp"] = int(time.time()) - 1800
        elif mode == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1/elsewhere"
        elif mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif mode == "bad_signature":
            key = jwk.JWK.generate(kty="RSA", size=2048)  # not the key the JWKS publishes
        forged = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
        forged.make_signed_token(key)
        return forged.serialize()
