"""The healthcare-core workflow template pack.

Each template is a workflow spec (see ``docs/workflow-spec.md``) stored as a JSON file next to this
module; ``pack.json`` names the pack, lists the template files and carries the roles, default
authority limits and reason codes a tenant gets when the pack is installed.

Stdlib only: this module is read by the workflow designer, the partner console and tests alike.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = [
    "PACK_FILE",
    "TemplateNotFoundError",
    "load_pack",
    "load_template",
    "template_keys",
]

PACK_FILE = "pack.json"


class TemplateNotFoundError(LookupError):
    """No template with the requested key is listed in the pack."""

    def __init__(self, key: str, available: list[str]) -> None:
        self.key = key
        self.available = available
        super().__init__(
            f'unknown workflow template "{key}" in the healthcare-core pack; '
            f"available: {', '.join(available) or '(none)'}"
        )

    def __str__(self) -> str:  # LookupError/KeyError would repr() the message
        return str(self.args[0])


def _read_json(name: str) -> dict[str, Any]:
    resource = resources.files(__name__).joinpath(name)
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"workflow library file {name!r} is missing") from exc
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"workflow library file {name!r} must hold a JSON object")
    return data


def load_pack() -> dict[str, Any]:
    """Return the pack manifest (a fresh copy on every call; callers may mutate it)."""
    return _read_json(PACK_FILE)


def template_keys() -> list[str]:
    """Keys of the templates in the pack, in pack order."""
    return [name.removesuffix(".json") for name in load_pack()["templates"]]


def load_template(key: str) -> dict[str, Any]:
    """Return the spec of template ``key`` (e.g. ``"capital-purchase"``) as a fresh dict.

    Raises ``TemplateNotFoundError`` (a ``LookupError``) naming the key when the pack does not
    list it.
    """
    keys = template_keys()
    if key not in keys:
        raise TemplateNotFoundError(key, keys)
    return _read_json(f"{key}.json")
