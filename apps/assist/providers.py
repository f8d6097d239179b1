"""Pluggable model providers. The built-in local models are used by default; an external
provider is only ever called when a tenant configures one, and patient data only leaves when
the tenant has also turned `allow_external_phi` on."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from django.utils.module_loading import import_string

from apps.assist.models import AssistSettings


class PhiNotAllowed(Exception):
    """The tenant has not allowed patient data to be sent to an external model."""


@runtime_checkable
class AssistProvider(Protocol):
    name: str
    external: bool  # True: calls a service outside this deployment

    def summarise(self, *, statements: list[dict[str, str]]) -> list[dict[str, str]]: ...

    def classify(self, *, text: str) -> tuple[str, float]: ...


class LocalProvider:
    """Runs in-process; nothing leaves the deployment."""

    name = "local"
    external = False

    def summarise(self, *, statements: list[dict[str, str]]) -> list[dict[str, str]]:
        return statements

    def classify(self, *, text: str) -> tuple[str, float]:
        from apps.assist.classifier import classify

        result = classify(text, threshold=0)
        return result.best_guess, result.confidence


def provider_for(settings: AssistSettings) -> AssistProvider:
    if not settings.external_provider:
        return LocalProvider()
    provider = import_string(settings.external_provider)()
    if not isinstance(provider, AssistProvider):
        raise TypeError(f"{settings.external_provider} is not an AssistProvider")
    return provider


def guard_phi(provider: AssistProvider, settings: AssistSettings, payload: Any) -> Any:
    """Call before handing `payload` (which may hold PHI) to `provider`."""
    if provider.external and not settings.allow_external_phi:
        raise PhiNotAllowed(
            f"Provider {provider.name} is external and this organisation does not allow "
            "patient data to leave."
        )
    return payload
