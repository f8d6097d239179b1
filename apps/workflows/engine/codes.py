"""Validators for healthcare codes: ICD-10-CM (real code set), CPT/HCPCS format, NPI check digit.

Each returns `(canonical_value, None)` when valid or `(None, message)` with a human message.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any


@functools.cache
def icd_code_set() -> Any:
    """The ICD-10-CM code set, loaded on first use: importing simple_icd_10_cm parses the whole
    code set (about 3.5 s of CPU), which every `manage.py` process, migration job and worker
    would otherwise pay at start-up. Web workers load it when they start (`config/wsgi.py`).
    simple_icd_10_cm ships no type hints; it is used through a handful of calls below."""
    return importlib.import_module("simple_icd_10_cm")


CPT_RE = re.compile(r"^(?:\d{5}|\d{4}[FT]|[A-V]\d{4})$")
NPI_RE = re.compile(r"^\d{10}$")
ICD_SHAPE_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


def check_icd10(raw: str) -> tuple[str | None, str | None]:
    """A billable ICD-10-CM code, with or without the dot; returned in dotted form (`E11.9`)."""
    code = raw.strip().upper()
    if not ICD_SHAPE_RE.match(code):
        return None, "Enter an ICD-10-CM code such as E11.9."
    icd = icd_code_set()
    if not bool(icd.is_valid_item(code)) or bool(icd.is_chapter_or_block(code)):
        return None, f"{code} is not an ICD-10-CM code."
    dotted = str(icd.add_dot(code))
    if not bool(icd.is_leaf(code)):
        return None, (
            f"{dotted} is a category, not a billable code: choose a more specific code below it."
        )
    return dotted, None


def check_cpt(raw: str) -> tuple[str | None, str | None]:
    """CPT (5 digits), CPT category II/III (4 digits then F or T) or HCPCS Level II (A-V + 4)."""
    code = raw.strip().upper()
    if not CPT_RE.match(code):
        return None, (
            "Enter a CPT code (5 digits, or 4 digits then F or T) or a HCPCS code "
            "(a letter A-V then 4 digits)."
        )
    return code, None


def npi_check_digit(first_nine: str) -> int:
    """The Luhn check digit of an NPI, computed over the prefix 80840 and the first 9 digits."""
    total = 0
    for position, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def check_npi(raw: str) -> tuple[str | None, str | None]:
    """A 10-digit National Provider Identifier whose last digit is its Luhn check digit."""
    npi = raw.strip()
    if not NPI_RE.match(npi):
        return None, "Enter a valid 10-digit NPI."
    if npi_check_digit(npi[:9]) != int(npi[9]):
        return None, "Enter a valid 10-digit NPI (check digit does not match)."
    return npi, None
