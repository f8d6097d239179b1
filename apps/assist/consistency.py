"""Document-form consistency: what the attachments say against what the form says (pure).

Checks the quote's total against the requested amount, the vendor's name, ICD-10-CM and CPT
codes named in the notes against the form's, and dates of service. Each mismatch is a finding
quoting the document's sentence, with its name and page."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.assist.criteria import PageText, sentences

TOTAL = re.compile(
    r"\b(?:grand\s+total|total\s+(?:price|cost|amount|due|quote)|quote\s+total|amount\s+due|total)"
    r"\b[^$\d\n]{0,25}\$?\s*(\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+(?:\.\d{2})?)",
    re.IGNORECASE,
)
ICD10 = re.compile(r"\b([A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?)\b")
CPT = re.compile(r"\b(?:CPT|HCPCS|procedure code)[^0-9A-Z\n]{0,12}([0-9]{5}|[A-Z][0-9]{4})\b", re.I)
SERVICE_DATE = re.compile(
    r"\b(?:date of service|DOS|service date)\b[^0-9\n]{0,5}"
    r"(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
DIAGNOSIS_CONTEXT = re.compile(r"\b(?:ICD(?:-10)?(?:-CM)?|diagnos\w*|dx)\b", re.IGNORECASE)
AMOUNT_FIELDS = ("amount", "requested_amount", "total_amount")
VENDOR_FIELDS = ("vendor", "vendor_name", "supplier")
DIAGNOSIS_FIELDS = ("diagnosis", "icd10", "icd10_code", "diagnosis_code")
CPT_FIELDS = ("cpt_code", "cpt", "procedure_code", "hcpcs_code")
DATE_FIELDS = ("date_of_service", "service_date")


@dataclass(frozen=True)
class Finding:
    key: str
    message: str
    snippet: str
    document: str
    page: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _field(data: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _money(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return None


def _norm_code(code: str) -> str:
    return code.upper().replace(".", "").strip()


def _iso(raw: str) -> str:
    if "/" in raw:
        month, day, year = raw.split("/")
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return raw


def _each_sentence(pages: list[PageText]) -> list[tuple[str, PageText]]:
    return [(s, p) for p in pages for s in sentences(p.text)]


def consistency_check(data: dict[str, Any], pages: list[PageText]) -> list[Finding]:
    findings: list[Finding] = []
    rows = _each_sentence(pages)
    amount = _money(_field(data, AMOUNT_FIELDS))  # None when the form has no amount
    quote_documents: set[str] = set()
    if amount is not None:
        for sentence, page in rows:
            match = TOTAL.search(sentence)
            total = _money(match.group(1)) if match else None
            if total is None:
                continue
            quote_documents.add(page.document)
            if total != amount:
                findings.append(
                    Finding(
                        "amount_mismatch",
                        f"The document's total is ${total:,.2f}; the form asks for ${amount:,.2f}.",
                        sentence,
                        page.document,
                        page.page,
                    )
                )
                break
    vendor = _field(data, VENDOR_FIELDS)
    if vendor and quote_documents:
        quoted = [p for p in pages if p.document in quote_documents]
        if not any(vendor.lower() in p.text.lower() for p in quoted):
            first = quoted[0]
            findings.append(
                Finding(
                    "vendor_mismatch",
                    f"The form's vendor “{vendor}” is not named in the quote.",
                    (sentences(first.text) or [""])[0],
                    first.document,
                    first.page,
                )
            )
    findings += _code_findings(data, rows)
    service_date = _field(data, DATE_FIELDS)
    if service_date:
        for sentence, page in rows:
            match = SERVICE_DATE.search(sentence)
            if match and _iso(match.group(1)) != service_date[:10]:
                findings.append(
                    Finding(
                        "date_mismatch",
                        f"The document's date of service is {match.group(1)}; the form says "
                        f"{service_date[:10]}.",
                        sentence,
                        page.document,
                        page.page,
                    )
                )
                break
    return findings


def _code_findings(data: dict[str, Any], rows: list[tuple[str, PageText]]) -> list[Finding]:
    findings: list[Finding] = []
    checks = (
        ("diagnosis_mismatch", "ICD-10-CM", DIAGNOSIS_FIELDS, ICD10),
        ("cpt_mismatch", "CPT/HCPCS", CPT_FIELDS, CPT),
    )
    for key, name, fields, pattern in checks:
        form_code = _field(data, fields)
        if not form_code:
            continue
        named: list[tuple[str, str, PageText]] = [
            (m.group(1), sentence, page)
            for sentence, page in rows
            if pattern is not ICD10 or DIAGNOSIS_CONTEXT.search(sentence)
            for m in pattern.finditer(sentence)
        ]
        if named and _norm_code(form_code) not in {_norm_code(c) for c, _, _ in named}:
            code, sentence, page = named[0]
            findings.append(
                Finding(
                    key,
                    f"The notes name {name} code {code}; the form says {form_code}.",
                    sentence,
                    page.document,
                    page.page,
                )
            )
    return findings
