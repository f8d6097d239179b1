"""Rules other apps add to password sign-in without accounts importing them (the identity app's
"Require SSO" registers one): each rule returns a refusal, or None to let the user in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apps.accounts.models import User


@dataclass(frozen=True)
class Refusal:
    code: str  # stable, shown on the page and in the audit entry
    message: str


PasswordRule = Callable[[User], Refusal | None]
_rules: list[PasswordRule] = []


def register(rule: PasswordRule) -> None:
    if rule not in _rules:
        _rules.append(rule)


def password_refusal(user: User) -> Refusal | None:
    """The first refusal of a correct password sign-in by `user`, if a rule refuses it."""
    for rule in _rules:
        refusal = rule(user)
        if refusal is not None:
            return refusal
    return None
