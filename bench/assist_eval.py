"""Evaluation of the assistance panel on the independent set (`bench/assist_eval_set/`): attachment
classification per class (precision, recall), calibration (top-label Brier score and accuracy
by confidence band), and the lumbar-spine MRI checklist per criterion (status accuracy and
evidence location: right document and page). The set was written separately from the training
corpus, with labels and criteria answers fixed in `eval_set.jsonl` (see make_set.py).

    .venv/bin/python bench/assist_eval.py [--tenant SCHEMA]

With --tenant, reviewer agreement over time ("helpful / not helpful" by month and kind of
output) is read from that tenant's schema (needs the database of `make demo` or production).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.assist.classifier import LABELS, classify  # noqa: E402  # after the path is set
from apps.assist.criteria import PageText, evaluate_checklist  # noqa: E402

SET = ROOT / "bench" / "assist_eval_set" / "eval_set.jsonl"
CHECKLIST = ROOT / "apps" / "assist" / "checklists" / "lumbar-spine-mri.json"


def classification(rows: list[dict]) -> None:
    predicted: list[tuple[str, str, float]] = []
    full_brier = 0.0
    for row in rows:
        result = classify("\n".join(row["pages"]))
        predicted.append((row["label"], result.best_guess, result.confidence))
        probabilities = result.probabilities or {}
        full_brier += sum((probabilities.get(k, 0.0) - (k == row["label"])) ** 2 for k in LABELS)
    print(f"Attachment type ({len(rows)} documents, best guess, unsure counted as its guess)")
    print(f"{'class':<16}{'n':>5}{'precision':>11}{'recall':>9}")
    for label in LABELS:
        tp = sum(1 for g, p, _ in predicted if g == p == label)
        guessed = sum(1 for _, p, _ in predicted if p == label)
        actual = sum(1 for g, _, _ in predicted if g == label)
        if not actual and not guessed:
            continue
        precision = tp / guessed if guessed else 0.0
        recall = tp / actual if actual else 0.0
        print(f"{label:<16}{actual:>5}{precision:>11.2f}{recall:>9.2f}")
    accuracy = sum(1 for g, p, _ in predicted if g == p) / len(predicted)
    brier = sum((c - (g == p)) ** 2 for g, p, c in predicted) / len(predicted)
    print(f"accuracy {accuracy:.2f}; top-label Brier score {brier:.3f}, multi-class Brier "
          f"{full_brier / len(rows):.3f} (0 is perfect)")  # fmt: skip
    bands: dict[str, list[bool]] = defaultdict(list)
    for g, p, c in predicted:
        band = "<0.6" if c < 0.6 else ("0.6-0.9" if c < 0.9 else ">=0.9")
        bands[band].append(g == p)
    for band in ("<0.6", "0.6-0.9", ">=0.9"):
        hits = bands.get(band, [])
        share = sum(hits) / len(hits) if hits else 0.0
        print(f"  confidence {band:<8} n={len(hits):<4} correct {share:.2f}")
    noisy = [(g, p) for (g, p, _), row in zip(predicted, rows, strict=True) if row["ocr_noise"]]
    if noisy:
        share = sum(g == p for g, p in noisy) / len(noisy)
        print(f"  with OCR noise: n={len(noisy)} correct {share:.2f}")


def criteria(rows: list[dict]) -> None:
    checklist = json.loads(CHECKLIST.read_text())["criteria"]
    status_hits: Counter[str] = Counter()
    location_hits: Counter[str] = Counter()
    located: Counter[str] = Counter()
    confusion: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    notes = [row for row in rows if "criteria" in row]
    for row in notes:
        pages = [PageText(row["document"], n + 1, t) for n, t in enumerate(row["pages"])]
        for result in evaluate_checklist(checklist, pages):
            gold = row["criteria"][result.key]
            confusion[result.key][(gold["status"], result.status)] += 1
            status_hits[result.key] += gold["status"] == result.status
            if gold["status"] != "not_found" and result.status == gold["status"]:
                located[result.key] += 1
                right = result.document == row["document"] and result.page == gold["page"]
                location_hits[result.key] += right
    print(
        f"\nLumbar-spine MRI checklist ({len(notes)} notes; gold status met / not_met / not_found)"
    )
    for key in (c["key"] for c in checklist):
        accuracy = status_hits[key] / len(notes)
        where = location_hits[key] / located[key] if located[key] else 0.0
        print(f"{key:<22} status accuracy {accuracy:.2f}; evidence on the right page {where:.2f} "
              f"(of {located[key]} found)")  # fmt: skip
        for (gold, got), n in sorted(confusion[key].items()):
            if gold != got:
                print(f"    gold {gold:<9} -> {got:<9} x{n}")


def agreement(schema: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django_tenants.utils import schema_context

    from apps.assist.selectors import agreement_over_time

    with schema_context(schema):
        rows = agreement_over_time()
    print(f"\nReviewer agreement over time in {schema} ('helpful' share of items marked)")
    for r in rows:
        print(f"{r['month']}  {r['kind']:<16}{r['marked']:>6} marked  {r['rate']:>5.1f} % helpful")
    if not rows:
        print("  nothing marked yet")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", help="tenant schema to read reviewer feedback from")
    args = parser.parse_args()
    rows = [json.loads(line) for line in SET.read_text().splitlines() if line.strip()]
    classification(rows)
    criteria(rows)
    if args.tenant:
        agreement(args.tenant)
        return
    print("\nReviewer agreement over time: none in this set (it has no reviewers); run with")
    print("--tenant SCHEMA for a tenant's 'helpful / not helpful' by month and kind of output.")


if __name__ == "__main__":
    main()
