"""A small multinomial naive Bayes in pure Python (no scikit-learn dependency): enough for
short documents and a few categorical features, and its parameters fit in a JSON column."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(r"[a-z]{2,}")
STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "of",
        "to",
        "in",
        "with",
        "a",
        "an",
        "is",
        "by",
        "on",
        "at",
        "this",
        "be",
        "are",
        "as",
        "or",
        "from",
    }
)


def tokens(text: str) -> list[str]:
    return [t for t in TOKEN.findall(text.lower()) if t not in STOP]


@dataclass
class NaiveBayes:
    class_counts: dict[str, int]
    feature_counts: dict[str, dict[str, int]]
    vocabulary: list[str]
    alpha: float = 1.0

    @classmethod
    def fit(cls, samples: Iterable[tuple[Sequence[str], str]], alpha: float = 1.0) -> NaiveBayes:
        class_counts: Counter[str] = Counter()
        feature_counts: dict[str, Counter[str]] = {}
        vocabulary: set[str] = set()
        for features, label in samples:
            class_counts[label] += 1
            feature_counts.setdefault(label, Counter()).update(features)
            vocabulary.update(features)
        return cls(
            class_counts=dict(class_counts),
            feature_counts={k: dict(v) for k, v in feature_counts.items()},
            vocabulary=sorted(vocabulary),
            alpha=alpha,
        )

    def _log_likelihood(self, label: str, feature: str) -> float:
        counts = self.feature_counts.get(label, {})
        total = sum(counts.values())
        return math.log(
            (counts.get(feature, 0) + self.alpha) / (total + self.alpha * len(self.vocabulary))
        )

    def posterior(self, features: Sequence[str]) -> dict[str, float]:
        vocab = set(self.vocabulary)
        known = [f for f in features if f in vocab]
        n = sum(self.class_counts.values())
        scores = {
            label: math.log(count / n) + sum(self._log_likelihood(label, f) for f in known)
            for label, count in self.class_counts.items()
        }
        top = max(scores.values())
        exp = {label: math.exp(s - top) for label, s in scores.items()}
        total = sum(exp.values())
        return {label: v / total for label, v in exp.items()}

    def evidence(self, features: Sequence[str], label: str, other: str) -> list[tuple[str, float]]:
        """Each feature's log-odds for `label` against `other`, strongest first."""
        vocab = set(self.vocabulary)
        weights = {
            f: self._log_likelihood(label, f) - self._log_likelihood(other, f)
            for f in set(features)
            if f in vocab
        }
        return sorted(weights.items(), key=lambda kv: kv[1], reverse=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "class_counts": self.class_counts,
            "feature_counts": self.feature_counts,
            "vocabulary": self.vocabulary,
            "alpha": self.alpha,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NaiveBayes:
        return cls(**data)
