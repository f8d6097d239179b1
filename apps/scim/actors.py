"""The actor of everything a SCIM token does: the directory client it was issued to."""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.actions import SystemActor


@dataclass(frozen=True)
class ScimClient(SystemActor):
    """A directory (Entra ID, Okta) acting through one SCIM token. A tenant administrator
    issued the token to hand user administration to the directory, so the client may do what
    user administration needs (deactivate, hand over tasks, change roles) and nothing else: it
    acts only through the SCIM services. Audit entries name it `scim:<token name>#<token id>`."""

    token_id: int = 0

    is_tenant_admin = True  # delegated by the administrator who issued the token

    @property
    def email(self) -> str:
        return f"scim:{self.name}#{self.token_id}"[:254]

    @property
    def full_name(self) -> str:
        return f"SCIM client {self.name}"
