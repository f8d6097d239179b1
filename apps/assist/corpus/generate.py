"""Writes the synthetic, labelled attachment corpus (no real patient data: every name, code
and number is made up from the lists below). Deterministic: the same seed gives the same file.

Run: .venv/bin/python -m apps.assist.corpus.generate [--per-label 50]
"""

import argparse
import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = ("clinical_note", "imaging_report", "referral_letter", "invoice", "quote", "other")
NAMES = ["J. Rivera", "A. Chen", "M. Okafor", "S. Patel", "L. Novak", "R. Haddad", "K. Larsen"]
BODY = ["lumbar spine", "right knee", "left shoulder", "cervical spine", "brain", "abdomen"]
SYMPTOMS = [
    "low back pain",
    "radiating leg pain",
    "numbness",
    "headache",
    "joint swelling",
    "reduced range of motion",
    "weakness",
]
VENDORS = [
    "Acme Medical Supply",
    "Northwind Imaging Systems",
    "Globex Surgical",
    "Initech Health IT",
    "Umbrella Biomedical",
]
ITEMS = [
    "CT scanner service contract",
    "infusion pumps",
    "hospital beds",
    "ultrasound probe",
    "sterilisation unit",
    "patient monitors",
    "software licences",
]

TEMPLATES = {
    "clinical_note": [
        "Progress note. Patient seen in clinic for {symptom} of {weeks} weeks duration. "
        "Subjective: reports {symptom2}. Exam: tenderness over the {body}, straight leg raise "
        "positive. Assessment and plan: continue physical therapy, NSAIDs, follow up in 4 weeks.",
        "Office visit note by Dr {name}. History of present illness: {symptom} for {weeks} "
        "weeks despite conservative therapy. Vitals stable. Physical exam notable for "
        "{symptom2}. Plan: request advanced imaging of the {body}; medication reviewed.",
        "SOAP note. S: patient complains of {symptom}. O: examination of the {body} shows "
        "{symptom2}. A: suspected radiculopathy. P: home exercise program, analgesics, "
        "reassess after {weeks} weeks of therapy.",
    ],
    "imaging_report": [
        "Radiology report. Exam: MRI {body} without contrast. Technique: multiplanar sequences. "
        "Findings: mild disc bulge, no fracture. Impression: degenerative changes. "
        "Comparison: prior radiograph. Signed by radiologist Dr {name}.",
        "CT {body} with contrast. Clinical indication: {symptom}. Findings: no acute "
        "abnormality identified. Impression: unremarkable study. Radiologist: Dr {name}.",
        "X-ray {body}, two views. Indication: {symptom}. Findings: joint space narrowing, "
        "osteophytes. Impression: moderate osteoarthritis. Electronically signed, radiology.",
    ],
    "referral_letter": [
        "Dear Dr {name}, thank you for seeing this patient whom I am referring for specialist "
        "assessment of {symptom}. Reason for referral: persistent symptoms of the {body}. "
        "Kind regards, referring physician.",
        "Referral letter. I would be grateful if you could review this patient with "
        "{symptom} affecting the {body}. Please evaluate and advise on management. Yours "
        "sincerely, Dr {name}, primary care.",
        "To the orthopaedic clinic: referral for consultation regarding {symptom2}. Relevant "
        "history enclosed. Urgency: routine. Many thanks, Dr {name}.",
    ],
    "invoice": [
        "INVOICE no. INV-{num}. Bill to: accounts payable. From {vendor}. Item: {item}, "
        "quantity {qty}, unit price ${price}. Subtotal ${total}. Tax included. Amount due "
        "${total}. Payment terms net 30. Remit to the bank account below.",
        "{vendor} tax invoice {num}. Invoice date and due date listed. Description: {item}. "
        "Total amount payable ${total}. Please quote the invoice number with payment.",
        "Statement and invoice from {vendor}: {item} delivered. Balance due ${total}. "
        "Late payment fee applies after 30 days. Purchase order PO-{num}.",
    ],
    "quote": [
        "QUOTATION {num} from {vendor}. Prepared for procurement. Proposed: {item}, "
        "quantity {qty}, estimated price ${price} each. Quote valid for 60 days. Pricing "
        "subject to terms and conditions. Estimated delivery 6 weeks.",
        "Sales quote: {vendor} is pleased to offer {item} at ${total}. This proposal is valid "
        "until the expiry date. Discount applied for multi-year agreement. Quote reference {num}.",
        "Price quotation for {item}. Vendor {vendor}. Estimate total ${total}, excluding "
        "shipping. Offer valid 30 days; please sign to accept this quote.",
    ],
    "other": [
        "Meeting agenda: parking, cafeteria menu changes and the staff holiday rota for "
        "next month. Please RSVP by Friday.",
        "Policy acknowledgement form. I confirm I have read the workplace safety policy and "
        "the fire evacuation procedure. Signature and date.",
        "Newsletter: welcome to our new volunteers, the gift shop hours have changed and the "
        "garden renovation continues this {weekday}.",
        "Training certificate of completion for the annual compliance module, issued to "
        "{name}. Course length two hours.",
    ],
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def example(rng: random.Random, label: str) -> str:
    template = rng.choice(TEMPLATES[label])
    qty = rng.randint(1, 20)
    price = rng.randint(100, 90000)
    return template.format(
        name=rng.choice(NAMES),
        body=rng.choice(BODY),
        symptom=rng.choice(SYMPTOMS),
        symptom2=rng.choice(SYMPTOMS),
        weeks=rng.randint(1, 16),
        vendor=rng.choice(VENDORS),
        item=rng.choice(ITEMS),
        qty=qty,
        price=price,
        total=qty * price,
        num=rng.randint(10000, 99999),
        weekday=rng.choice(WEEKDAYS),
    )


def generate(per_label: int = 50, seed: int = 57) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 - synthetic text, not security
    rows = [
        {"text": example(rng, label), "label": label} for label in LABELS for _ in range(per_label)
    ]
    rng.shuffle(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-label", type=int, default=50)
    args = parser.parse_args()
    rows = generate(args.per_label)
    with (HERE / "attachments.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    print(f"wrote {len(rows)} examples")


if __name__ == "__main__":
    main()
