"""Attachment classification (clinical note, imaging report, referral letter, invoice, quote,
other) from extracted text, with a naive Bayes model trained on the shipped synthetic corpus
(`corpus/attachments.jsonl`, made by `corpus/generate.py`). Advisory only."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from apps.assist.naive_bayes import NaiveBayes, tokens

CORPUS = Path(__file__).resolve().parent / "corpus" / "attachments.jsonl"
LABELS = {
    "clinical_note": "Clinical note",
    "imaging_report": "Imaging report",
    "referral_letter": "Referral letter",
    "invoice": "Invoice",
    "quote": "Quote",
    "other": "Other",
}
UNSURE = "unsure"
MAX_TOKENS = 400  # long documents: the first words say what the document is


@dataclass(frozen=True)
class Classification:
    label: str  # one of LABELS, or "unsure"
    best_guess: str
    confidence: float
    model_version: str

    @property
    def display(self) -> str:
        if self.label == UNSURE:
            return f"Unsure (best guess: {LABELS[self.best_guess]})"
        return LABELS[self.label]


def _corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split(
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deterministic 80/20 train/held-out split by a hash of the text."""
    train: list[dict[str, Any]] = []
    held_out: list[dict[str, Any]] = []
    for row in rows:
        bucket = int(hashlib.sha256(row["text"].encode()).hexdigest(), 16) % 5
        (held_out if bucket == 0 else train).append(row)
    return train, held_out


@lru_cache(maxsize=1)
def model() -> tuple[NaiveBayes, str]:
    rows = _corpus()
    train, _ = split(rows)
    digest = hashlib.sha256(CORPUS.read_bytes()).hexdigest()[:10]
    fitted = NaiveBayes.fit((_features(r["text"]), r["label"]) for r in train)
    return fitted, f"nb-attachments-{digest}"


def _features(text: str) -> list[str]:
    return sorted(set(tokens(text)[:MAX_TOKENS]))


def classify(text: str, *, threshold: float = 0.6) -> Classification:
    fitted, version = model()
    posterior = fitted.posterior(_features(text))
    best = max(posterior, key=posterior.__getitem__)
    confidence = round(posterior[best], 3)
    label = best if confidence >= threshold else UNSURE
    return Classification(
        label=label, best_guess=best, confidence=confidence, model_version=version
    )


def held_out_accuracy() -> tuple[float, int]:
    _, held_out = split(_corpus())
    hits = sum(classify(r["text"], threshold=0).best_guess == r["label"] for r in held_out)
    return hits / len(held_out), len(held_out)


def extract_text(content: bytes, content_type: str) -> str:
    """Text of a PDF (pypdf) or plain-text file; other types give "" (the classifier is unsure)."""
    if content_type == "application/pdf":
        try:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(content))
            return "\n".join((page.extract_text() or "") for page in reader.pages[:5])
        except Exception:  # a damaged PDF is "no text", not an error page
            return ""
    if content_type.startswith("text/"):
        return content[:200_000].decode("utf-8", errors="replace")
    return ""
