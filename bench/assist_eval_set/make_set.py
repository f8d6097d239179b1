# ruff: noqa: E501  # the documents are prose: one sentence per line reads best
"""Writes the independent evaluation set of the assistance panel (`eval_set.jsonl`): documents
written for this set — not produced by `apps/assist/corpus/generate.py` and sharing none of its
templates — with their labels and criteria answers fixed here, before any model sees them.

Phrasing families were written to differ from the training corpus on purpose: SOAP notes,
dictated narrative, telegraphic shorthand ("pt", "wks", "s/p"), letters, synonyms the checklist
does not list ("physiotherapy", "plain films"), and an OCR-noise channel (character confusions,
dropped spaces, broken lines) on a third of the documents. Deterministic: a fixed seed.

    .venv/bin/python bench/assist_eval_set/make_set.py   # rewrites eval_set.jsonl
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "eval_set.jsonl"
SEED = 20261207

THERAPY = {
    "met": [
        "Completed {n} weeks of physical therapy without lasting relief.",
        "Pt has done PT x {n} wks, minimal improvement.",
        "Conservative management with NSAIDs and a home exercise program for {n} weeks has failed.",
        "She attended physiotherapy twice weekly for {m} months.",  # synonym not in the checklist
        "Failed conservative therapy over the past {n} weeks (PT, NSAIDs, activity changes).",
    ],
    "not_met": [
        "Patient has not tried physical therapy.",
        "No PT to date.",
        "Started physical therapy {s} weeks ago.",
        "He declined physical therapy at the last visit.",
        "Has not yet had any conservative treatment.",
    ],
}
RED_FLAGS = {
    "met": [
        "Reports new saddle anesthesia since yesterday.",
        "Exam notable for progressive weakness of the left ankle dorsiflexors, concerning for foot drop.",
        "History of cancer (breast, 2019) with new night pain.",
        "Low-grade fever and unexplained weight loss of 6 kg.",
    ],
    "not_met": [
        "Denies fever, weight loss, bowel or bladder changes.",
        "No saddle anesthesia, no foot drop.",
        "Negative for red flags; no history of cancer.",
    ],
}
IMAGING = {
    "met": [
        "Lumbar X-ray in March showed mild degenerative changes at L4-5.",
        "Prior imaging: lumbar spine radiographs, unremarkable.",
        "Plain films of the L-spine were read as normal.",  # synonym not in the checklist
    ],
    "not_met": ["No prior imaging of the spine.", "Has not had an x-ray."],
}
FILLER = [
    "Chief complaint: low back pain radiating to the left leg.",
    "Pain is rated 7/10 and worse with sitting.",
    "Vitals stable. BMI 31.",
    "Straight leg raise positive on the left at 40 degrees.",
    "Reflexes 2+ and symmetric.",
    "Medications: ibuprofen 600 mg as needed, gabapentin 300 mg at night.",
    "Works as a warehouse supervisor; off work for two weeks.",
    "Allergies: none known.",
    "Plan: MRI lumbar spine without contrast, follow up after imaging.",
    "Discussed risks and benefits; patient agrees with the plan.",
    "Sleep is disturbed by pain.",
    "Assessment: lumbar radiculopathy, suspected L5.",
]
HEADERS = [
    "SUBJECTIVE:",
    "Dictated note - spine clinic",
    "Progress note",
    "Dear Dr. Alvarez, thank you for seeing this patient.",
    "HPI",
]
OTHER_KINDS = {
    "imaging_report": [
        "EXAM: {part}. TECHNIQUE: {tech}. FINDINGS: {finding}. IMPRESSION: {impression}.",
        "Radiology consult result. Study {part}; comparison none. Findings {finding}. Conclusion {impression}.",
    ],
    "referral_letter": [
        "Re: referral to {spec}. I would be grateful if you could assess this patient for {why}. Kind regards, Dr. {name}.",
        "Referral - urgency {urg}. Reason for referral: {why}. Please see at your earliest convenience. {name}, MD",
    ],
    "invoice": [
        "INVOICE no. {num}. Bill to: {org}. {item} qty {qty} at {price} each. Amount due {total}. Payment terms net 30.",
        "Statement of account {num} for {org}: {item} ({qty}) - total payable {total}. Remit to {vendor}.",
    ],
    "quote": [
        "QUOTATION {num} valid 60 days. Prepared for {org}. {item}, quantity {qty}, unit price {price}. Quoted total {total}.",
        "Price proposal from {vendor}: {item} x{qty}; proposal total {total}; delivery 6-8 weeks.",
    ],
    "other": [
        "Minutes of the capital committee meeting. Attendees: {name}, {spec} lead. Items discussed: budget cycle, parking.",
        "Member ID card copy. Plan {org} PPO. Customer service number on the back.",
        "Out-of-office reply: I am away until Monday. For urgent matters contact {name}.",
    ],
}
WORDS = {
    "part": ["MRI lumbar spine", "CT chest", "XR knee 3 views", "US abdomen"],
    "tech": ["multiplanar multisequence", "without contrast", "standard protocol"],
    "finding": [
        "disc protrusion at L4-5 contacting the L5 root",
        "no acute abnormality",
        "small effusion",
    ],
    "impression": ["degenerative disc disease", "normal study", "mild osteoarthritis"],
    "spec": ["orthopaedics", "neurosurgery", "cardiology", "physiatry"],
    "why": ["persistent radicular pain", "abnormal ECG", "knee instability"],
    "name": ["Okafor", "Lindqvist", "Marsh", "Tanaka"],
    "urg": ["routine", "soon", "urgent"],
    "num": ["Q-4471", "INV-20931", "77120", "PRJ-3"],
    "org": ["Riverside Health", "St. Anne Clinic Group", "North Valley Hospital"],
    "item": ["infusion pump", "ultrasound system", "exam table", "sterilizer"],
    "qty": ["1", "2", "12"],
    "price": ["$1,250.00", "$18,500", "$980"],
    "total": ["$21,400.00", "$18,500", "$11,760"],
    "vendor": ["MedEquip Ltd", "Carelane Supply", "Orion Devices"],
}
OCR_SWAPS = [("l", "1"), ("O", "0"), ("rn", "m"), ("e", "c"), ("S", "5")]


def ocr_noise(text: str, rng: random.Random) -> str:
    out = []
    for word in text.split(" "):
        if rng.random() < 0.08:
            a, b = rng.choice(OCR_SWAPS)
            word = word.replace(a, b, 1)
        out.append(word)
    joined = ""
    for word in out:
        sep = "" if rng.random() < 0.04 else ("\n" if rng.random() < 0.05 else " ")
        joined += word + sep
    return joined.strip()


def _pick(options: dict[str, list[str]], truth: str, rng: random.Random) -> str:
    return rng.choice(options[truth]).format(
        n=rng.choice([6, 7, 8, 10, 12]), m=rng.choice([2, 3]), s=rng.choice([1, 2, 3])
    )


def clinical_note(index: int, rng: random.Random) -> dict:
    truth = {
        "conservative_therapy": rng.choice(["met", "met", "not_met", "not_found"]),
        "red_flags": rng.choice(["met", "not_met", "not_found"]),
        "prior_imaging": rng.choice(["met", "not_met", "not_found"]),
    }
    sources = {"conservative_therapy": THERAPY, "red_flags": RED_FLAGS, "prior_imaging": IMAGING}
    lines = rng.sample(FILLER, rng.randint(4, 9))
    evidence: dict[str, str] = {}
    for key, status in truth.items():
        if status == "not_found":
            continue
        sentence = _pick(sources[key], status, rng)
        evidence[key] = sentence
        lines.insert(rng.randint(0, len(lines)), sentence)
    per_page = rng.choice([4, 6, 20])
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    noisy = rng.random() < 0.33
    header = rng.choice(HEADERS)
    texts = [(header + "\n" if n == 0 else "") + " ".join(p) for n, p in enumerate(pages)]
    gold = {}
    for key, status in truth.items():
        page = next((n + 1 for n, p in enumerate(pages) if evidence.get(key) in p), None)
        gold[key] = {"status": status, "page": page, "sentence": evidence.get(key, "")}
    if noisy:
        texts = [ocr_noise(t, rng) for t in texts]
    return {
        "id": f"note-{index:03d}",
        "label": "clinical_note",
        "document": f"note-{index:03d}.pdf",
        "pages": texts,
        "ocr_noise": noisy,
        "criteria": gold,
    }


def other_document(index: int, label: str, rng: random.Random) -> dict:
    template = rng.choice(OTHER_KINDS[label])
    text = template.format(**{k: rng.choice(v) for k, v in WORDS.items()})
    noisy = rng.random() < 0.33
    if noisy:
        text = ocr_noise(text, rng)
    return {
        "id": f"{label}-{index:03d}",
        "label": label,
        "document": f"{label}-{index:03d}.pdf",
        "pages": [text],
        "ocr_noise": noisy,
    }


def build() -> list[dict]:
    rng = random.Random(SEED)
    items = [clinical_note(i, rng) for i in range(120)]
    for label in OTHER_KINDS:
        items += [other_document(i, label, rng) for i in range(40)]
    return items


if __name__ == "__main__":
    rows = build()
    OUT.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"{len(rows)} documents written to {OUT}")
