"""Attachment classification (clinical note, imaging report, referral letter, invoice, quote,
other) from extracted text: TF-IDF over words (1-2 grams) and character 3-5 grams (robust to OCR
noise) with a linear SVM calibrated by Platt scaling (`CalibratedClassifierCV`, sigmoid,
5-fold), trained at first use on the shipped synthetic corpus (`corpus/attachments.jsonl`, made by
`corpus/generate.py`). Advisory only."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

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
MAX_CHARS = 20_000  # long documents: the first pages say what the document is
MODEL_FAMILY = "tfidf-svc-platt"


@dataclass(frozen=True)
class Classification:
    label: str  # one of LABELS, or "unsure"
    best_guess: str
    confidence: float
    model_version: str
    probabilities: dict[str, float] | None = None

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


def text_pipeline() -> Pipeline:
    """The unfitted model: words and character n-grams, then a calibrated linear SVM."""
    words = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), strip_accents="unicode")
    chars = TfidfVectorizer(
        sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5), min_df=2, max_features=30_000
    )
    features = FeatureUnion([("words", words), ("chars", chars)])
    svm = CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=5, ensemble=False)
    return Pipeline([("features", features), ("model", svm)])


@lru_cache(maxsize=1)
def model() -> tuple[Pipeline, str]:
    rows = _corpus()
    train, _ = split(rows)
    digest = hashlib.sha256(CORPUS.read_bytes()).hexdigest()[:10]
    fitted = text_pipeline().fit([r["text"] for r in train], [r["label"] for r in train])
    return fitted, f"{MODEL_FAMILY}-{digest}-sk{sklearn.__version__}"


def classify(text: str, *, threshold: float = 0.6) -> Classification:
    fitted, version = model()
    row = fitted.predict_proba([text[:MAX_CHARS]])[0]
    posterior = {str(label): float(p) for label, p in zip(fitted.classes_, row, strict=True)}
    best = max(posterior, key=posterior.__getitem__)
    confidence = round(posterior[best], 3)
    label = best if confidence >= threshold else UNSURE
    return Classification(
        label=label,
        best_guess=best,
        confidence=confidence,
        model_version=version,
        probabilities={k: round(v, 4) for k, v in posterior.items()},
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
