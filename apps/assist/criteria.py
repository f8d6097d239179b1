"""Criteria checklists evaluated against document text: a pure function (no database).

Each criterion is a dict: key, label, phrases (any of which is a mention), optional min_weeks
(a duration in the same sentence must reach it: "8 weeks of physical therapy" counts for 6).
A mention is discarded when it is negated ("no physical therapy", "has not tried physical
therapy") or hypothetical, using ConText-style trigger rules (see docs/assist.md: medspacy is not
installed, these rules follow its default negation triggers and scope: the trigger precedes the
phrase within the same clause).

Status: met (a sentence affirms it), not_met (only negated mentions, or durations below the
minimum), not_found (no mention at all). Evidence is the sentence, document and page."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

STATUSES = ("met", "not_met", "not_found")

NEGATION_TRIGGERS = (
    r"\bno\b",
    r"\bnot\b",
    r"\bnever\b",
    r"\bdenies\b",
    r"\bdenied\b",
    r"\bwithout\b",
    r"\bnone\b",
    r"\bfailed to (?:attend|start|complete)\b",
    r"\bdeclined\b",
    r"\brefused\b",
    r"\bhas not\b",
    r"\bhasn't\b",
    r"\bhave not\b",
    r"\bdid not\b",
    r"\bdidn't\b",
    r"\bnegative for\b",
    r"\bwill (?:consider|start|begin)\b",
    r"\bplan(?:s|ned)? to\b",
    r"\brecommend(?:ed)?\b",
)
NEGATION = re.compile("|".join(NEGATION_TRIGGERS), re.IGNORECASE)
CLAUSE_BREAK = re.compile(r"\b(?:but|however|although|though|which|yet)\b|[;:,]", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n{2,}")
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
DURATION = re.compile(
    r"\b(\d+(?:\.\d+)?|" + "|".join(WORD_NUMBERS) + r")\s*(?:-\s*)?(weeks?|wks?|months?|mos?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PageText:
    document: str
    page: int
    text: str


@dataclass(frozen=True)
class CriterionResult:
    key: str
    label: str
    status: str
    snippet: str
    document: str
    page: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sentences(text: str) -> list[str]:
    flat = re.sub(r"[ \t]*\n[ \t]*(?!\n)", " ", text)
    return [s.strip() for s in SENTENCE.split(flat) if s.strip()]


def _weeks(sentence: str) -> float | None:
    best: float | None = None
    for match in DURATION.finditer(sentence):
        raw, unit = match.group(1).lower(), match.group(2).lower()
        value = float(WORD_NUMBERS.get(raw, 0) or raw)
        weeks = value * 4.345 if unit.startswith("mo") else value
        best = weeks if best is None else max(best, weeks)
    return best


def is_negated(sentence: str, start: int) -> bool:
    """A negation trigger before the mention, in the same clause (ConText's forward scope)."""
    before = sentence[:start]
    breaks = [m.end() for m in CLAUSE_BREAK.finditer(before)]
    clause = before[breaks[-1] :] if breaks else before
    return NEGATION.search(clause) is not None


def _mentions(sentence: str, phrases: list[str]) -> list[int]:
    found = []
    for phrase in phrases:
        pattern = r"\b" + r"\s+".join(re.escape(w) for w in phrase.split()) + r"\b"
        found += [m.start() for m in re.finditer(pattern, sentence, re.IGNORECASE)]
    return sorted(found)


def evaluate_criterion(criterion: dict[str, Any], pages: list[PageText]) -> CriterionResult:
    key, label = str(criterion["key"]), str(criterion.get("label", criterion["key"]))
    phrases = [str(p) for p in criterion.get("phrases", [])]
    min_weeks = criterion.get("min_weeks")
    against: tuple[str, str, int] | None = None
    for page in pages:
        for sentence in sentences(page.text):
            starts = _mentions(sentence, phrases)
            if not starts:
                continue
            if all(is_negated(sentence, s) for s in starts):
                against = against or (sentence, page.document, page.page)
                continue
            if min_weeks is not None:
                weeks = _weeks(sentence)
                if weeks is None:
                    continue
                if weeks < float(min_weeks):
                    against = against or (sentence, page.document, page.page)
                    continue
            return CriterionResult(key, label, "met", sentence, page.document, page.page)
    if against:
        return CriterionResult(key, label, "not_met", against[0], against[1], against[2])
    return CriterionResult(key, label, "not_found", "", "", None)


def evaluate_checklist(
    criteria: list[dict[str, Any]], pages: list[PageText]
) -> list[CriterionResult]:
    return [evaluate_criterion(c, pages) for c in criteria]


def criteria_errors(criteria: Any) -> list[str]:
    """Validation of a checklist's criteria JSON; an empty list means valid."""
    if not isinstance(criteria, list) or not criteria:
        return ["Criteria must be a non-empty JSON list of objects."]
    errors, keys = [], set()
    for index, item in enumerate(criteria, start=1):
        if not isinstance(item, dict):
            errors.append(f"Criterion {index} is not an object.")
            continue
        key = item.get("key")
        if not isinstance(key, str) or not key:
            errors.append(f"Criterion {index} needs a text 'key'.")
        elif key in keys:
            errors.append(f"Criterion {index}: key '{key}' is used twice.")
        else:
            keys.add(key)
        if not isinstance(item.get("label"), str) or not item.get("label"):
            errors.append(f"Criterion {index} needs a text 'label'.")
        phrases = item.get("phrases")
        if (
            not isinstance(phrases, list)
            or not phrases
            or not all(isinstance(p, str) and p.strip() for p in phrases)
        ):
            errors.append(f"Criterion {index} needs 'phrases': a non-empty list of text.")
        weeks = item.get("min_weeks")
        if weeks is not None and (not isinstance(weeks, int | float) or weeks <= 0):
            errors.append(f"Criterion {index}: 'min_weeks' must be a positive number.")
    return errors
