"""Branding rules: WCAG contrast of white text on the tenant's colours, logo/favicon checks, and
the effective branding a tenant shows (its own values over its partner's defaults)."""

import re
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from apps.tenants.exceptions import InvalidInput, TenantErrorCode
from apps.tenants.models import Partner

WCAG_AA_NORMAL_TEXT = 4.5
LOGO_MAX_BYTES = 512 * 1024
FAVICON_MAX_BYTES = 64 * 1024
_IMAGE_SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
    "ico": (b"\x00\x00\x01\x00",),
}


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    a, b = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class ContrastCheck:
    label: str
    colour: str
    ratio: float

    @property
    def passes(self) -> bool:
        return self.ratio >= WCAG_AA_NORMAL_TEXT

    @property
    def message(self) -> str:
        if self.passes:
            return (
                f"{self.label} {self.colour}: white text contrast {self.ratio:.1f}:1 (passes AA)."
            )
        return (
            f"{self.label} {self.colour}: white text contrast is only {self.ratio:.1f}:1; "
            f"WCAG AA needs {WCAG_AA_NORMAL_TEXT}:1. Choose a darker colour."
        )


def contrast_checks(*, primary_colour: str, accent_colour: str) -> list[ContrastCheck]:
    """White text sits on the primary (top bar) and accent (buttons) colours."""
    return [
        ContrastCheck(label, colour, contrast_ratio("#ffffff", colour))
        for label, colour in (("Primary colour", primary_colour), ("Accent colour", accent_colour))
    ]


def _kind_of(head: bytes, name: str) -> str | None:
    for kind, signatures in _IMAGE_SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            if kind == "webp" and head[8:12] != b"WEBP":
                continue
            return kind
    text = head.lstrip().lower()
    if name.lower().endswith(".svg") and text.startswith((b"<svg", b"<?xml")):
        return "svg"
    return None


def image_check(
    upload: "UploadedFile[Any]", *, field: str, allowed: tuple[str, ...], max_bytes: int
) -> None:
    """Refuse files that are too large or whose content is not one of the allowed image types
    (the extension alone is not trusted). SVGs with scripts are refused too."""
    if upload.size is not None and upload.size > max_bytes:
        raise InvalidInput(
            f"The file is {upload.size // 1024} KB; the limit is {max_bytes // 1024} KB.",
            code=TenantErrorCode.IMAGE_TOO_LARGE,
            field=field,
        )
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    kind = _kind_of(content[:512], upload.name or "")
    if kind not in allowed:
        names = ", ".join(a.upper() for a in allowed)
        raise InvalidInput(f"Upload a {names} image.", code=TenantErrorCode.IMAGE_TYPE, field=field)
    if kind == "svg":
        problem = svg_problem(content)
        if problem:
            raise InvalidInput(
                f"SVG images may not contain scripts or other active content ({problem}). "
                "Upload a plain SVG (shapes, paths, text, gradients) or a PNG.",
                code=TenantErrorCode.IMAGE_UNSAFE,
                field=field,
            )


# SVG policy (docs/security.md): a strict allow-list, checked on the parsed XML (so entity- or
# character-encoded payloads such as `java&#x73;cript:` are seen decoded). Anything active is
# refused rather than rewritten: scripts, event handlers, animation, foreignObject, style
# sheets, and any reference that is not a fragment of the same document.
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG_ELEMENTS = frozenset(
    {
        *("svg", "g", "defs", "desc", "title", "metadata", "symbol", "use", "path", "rect"),
        *("circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath"),
        *("linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern"),
    }
)
_REFERENCE_ATTRIBUTES = frozenset({"href", f"{{{_XLINK_NS}}}href"})
_URL_IN_VALUE = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_ACTIVE_IN_VALUE = re.compile(r"javascript:|vbscript:|data:|expression\s*\(|@import", re.IGNORECASE)


def svg_problem(content: bytes) -> str | None:
    """Why an SVG is not inert, or None when it is only shapes and local references."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return "it declares a DTD or entities"
    except Exception:  # ParseError and friends: not well-formed XML
        return "it is not well-formed SVG XML"
    if root.tag != f"{{{_SVG_NS}}}svg":
        return "its root element is not <svg> in the SVG namespace"
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{_SVG_NS}}}"):
            return f"it contains a non-SVG element ({element.tag})"
        name = element.tag.split("}", 1)[1]
        if name not in _SVG_ELEMENTS:
            return f"it contains a <{name}> element"
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"it has an event handler ({local})"
            compact = "".join(value.split())
            if attribute in _REFERENCE_ATTRIBUTES and not compact.startswith("#"):
                return "it refers to something outside the image"
            if _ACTIVE_IN_VALUE.search(compact) or _URL_IN_VALUE.search(value):
                return f"its {local} attribute refers to active or external content"
    return None


def powered_by_line(partner: Partner | None) -> str:
    if partner is None or not partner.show_powered_by:
        return ""
    return partner.powered_by_text or f"Powered by {partner.name}"


def branding_defaults_from(partner: Partner) -> dict[str, str]:
    """What a new tenant of ``partner`` starts with."""
    defaults = {
        "primary_colour": partner.default_primary_colour,
        "accent_colour": partner.default_accent_colour,
        "email_sender_name": partner.default_email_sender_name,
        "support_email": partner.default_support_email,
    }
    return {key: value for key, value in defaults.items() if value}
