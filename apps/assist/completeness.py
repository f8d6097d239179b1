"""Completeness check: a pure function from a workflow spec, the answers and the attachments to
a checklist of findings. Advisory: it never blocks a submission or a decision."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

SPINE_MRI = {"72141", "72142", "72146", "72147", "72148", "72149", "72156", "72157", "72158"}
MIN_CONSERVATIVE_WEEKS = 6


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    ok: bool
    field: str = ""
    severity: str = "warning"  # "warning" | "info"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list | dict | tuple) and len(value) == 0)


def _names(attachments: Sequence[Any]) -> list[str]:
    names = []
    for a in attachments:
        if isinstance(a, Mapping):
            names.append(str(a.get("name") or a.get("original_name") or ""))
        else:
            names.append(str(getattr(a, "original_name", "") or getattr(a, "name", "")))
    return names


def _kinds(attachments: Sequence[Any]) -> set[str]:
    return {str(a.get("kind", "")) for a in attachments if isinstance(a, Mapping)}


def _prior_auth_imaging(data: Mapping[str, Any], attachments: Sequence[Any]) -> list[Finding]:
    findings = []
    weeks = data.get("conservative_therapy_weeks")
    try:
        weeks_number = None if _empty(weeks) else float(weeks)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        weeks_number = None
    code = str(data.get("cpt_code") or "")
    if weeks_number is None:
        findings.append(
            Finding(
                "conservative_therapy_missing",
                "Weeks of conservative therapy are not stated.",
                False,
                "conservative_therapy_weeks",
            )
        )
    elif code in SPINE_MRI and weeks_number < MIN_CONSERVATIVE_WEEKS:
        findings.append(
            Finding(
                "conservative_therapy_short",
                f"Spine MRI with {weeks_number:g} weeks of conservative therapy "
                f"(most payers expect {MIN_CONSERVATIVE_WEEKS}); document red flags if any.",
                False,
                "conservative_therapy_weeks",
            )
        )
    else:
        findings.append(
            Finding(
                "conservative_therapy",
                "Conservative therapy documented.",
                True,
                "conservative_therapy_weeks",
            )
        )
    has_document = bool(attachments) or not _empty(data.get("supporting_document"))
    findings.append(
        Finding(
            "supporting_document",
            "Supporting document attached."
            if has_document
            else "No supporting document (office note, prior imaging report or referral letter).",
            has_document,
            "supporting_document",
        )
    )
    notes = str(data.get("clinical_notes") or "")
    findings.append(
        Finding(
            "clinical_notes_detail",
            "Clinical notes describe the case."
            if len(notes) >= 40
            else "Clinical notes are very short: symptoms, duration and exam findings help review.",
            len(notes) >= 40,
            "clinical_notes",
            "info",
        )
    )
    return findings


def _capital_purchase(data: Mapping[str, Any], attachments: Sequence[Any]) -> list[Finding]:
    names = " ".join(_names(attachments)).lower()
    has_quote = "quote" in _kinds(attachments) or "quot" in names
    return [
        Finding(
            "vendor_quote",
            "Vendor quote attached." if has_quote else "No vendor quote attached.",
            has_quote,
            "",
        )
    ]


RULES: dict[str, Callable[[Mapping[str, Any], Sequence[Any]], list[Finding]]] = {
    "prior-auth-imaging": _prior_auth_imaging,
    "capital-purchase": _capital_purchase,
}


def completeness_check(
    *, spec: Mapping[str, Any], data: Mapping[str, Any], attachments: Sequence[Any]
) -> list[Finding]:
    """Required fields answered, plus the workflow's own rules (`RULES`, by spec key).

    `attachments`: objects with `original_name`, or dicts with `name` and optionally `kind`
    (a classifier label)."""
    findings = []
    for field in spec.get("form", {}).get("fields", []):
        if (
            field.get("required")
            and field.get("type") != "file"
            and _empty(data.get(field["name"]))
        ):
            findings.append(
                Finding(
                    "required_missing",
                    f"“{field.get('label', field['name'])}” is not answered.",
                    False,
                    field["name"],
                )
            )
    rule = RULES.get(str(spec.get("key", "")))
    if rule:
        findings.extend(rule(data, attachments))
    if not findings:
        findings.append(Finding("complete", "Every required answer is present.", True))
    return findings
