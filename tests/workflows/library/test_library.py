"""The healthcare-core template pack: files, manifest, roles, authority, PHI, routing, loader."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from apps.workflows import library
from apps.workflows.engine import (
    VISIBILITIES,
    SpecError,
    evaluate,
    parse_spec,
    validate_submission,
)

LIBRARY_DIR = Path(library.__file__).resolve().parent
PACK = json.loads((LIBRARY_DIR / "pack.json").read_text(encoding="utf-8"))
JSON_FILES = sorted(p.name for p in LIBRARY_DIR.glob("*.json"))
TEMPLATE_FILES = [name for name in JSON_FILES if name != "pack.json"]
SPECS = {
    name: json.loads((LIBRARY_DIR / name).read_text(encoding="utf-8")) for name in TEMPLATE_FILES
}
PACK_ROLES = {role["key"] for role in PACK["roles"]}

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
PREFIX = re.compile(r"^[A-Z]{2,5}$")
IDENTIFYING_FIELDS = {
    "patient_name",
    "date_of_birth",
    "member_id",
    "mrn",
    "patient_account_number",
    "claim_number",
}


def steps_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for stage in spec["stages"] for step in stage["steps"]]


def roles_of(spec: dict[str, Any]) -> set[str]:
    return {
        selector.removeprefix("role:")
        for step in steps_of(spec)
        for selector in step["approvers"]
        if selector.startswith("role:")
    }


def conditions_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for step in steps_of(spec):
        out.append(step.get("when"))
        auto = step.get("auto") or {}
        out += [auto.get("approve_when"), auto.get("skip_when")]
    return [c for c in out if c is not None]


def compared_fields(condition: dict[str, Any]) -> set[str]:
    if "all" in condition or "any" in condition:
        return set().union(
            *(compared_fields(c) for c in condition.get("all", condition.get("any")))
        )
    if "not" in condition:
        return compared_fields(condition["not"])
    return {condition["field"]}


# --- files and manifest ---------------------------------------------------------------------


@pytest.mark.parametrize("name", JSON_FILES)
def test_every_file_is_valid_pretty_printed_json(name: str) -> None:
    text = (LIBRARY_DIR / name).read_text(encoding="utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n", "2-space pretty print"


def test_pack_lists_exactly_the_template_files_present() -> None:
    assert sorted(PACK["templates"]) == TEMPLATE_FILES
    assert len(PACK["templates"]) == len(set(PACK["templates"]))
    assert len(TEMPLATE_FILES) == 11


def test_pack_manifest() -> None:
    assert PACK["key"] == "healthcare-core"
    assert PACK["name"] == "Healthcare core templates"
    assert re.fullmatch(r"\d+\.\d+\.\d+", PACK["version"])


def test_keys_match_file_names_and_keys_prefixes_are_unique() -> None:
    keys = [spec["key"] for spec in SPECS.values()]
    prefixes = [spec["reference_prefix"] for spec in SPECS.values()]
    assert len(set(keys)) == len(keys)
    assert len(set(prefixes)) == len(prefixes)
    for name, spec in SPECS.items():
        assert f"{spec['key']}.json" == name
        assert SLUG.match(spec["key"])
        assert PREFIX.match(spec["reference_prefix"])
        assert CATEGORY.match(spec["category"])


def test_stage_step_and_field_keys_are_unique_within_a_template() -> None:
    for name, spec in SPECS.items():
        fields = [f["name"] for f in spec["form"]["fields"]]
        stages = [s["key"] for s in spec["stages"]]
        steps = [s["key"] for s in steps_of(spec)]
        for keys in (fields, stages, steps):
            assert len(keys) == len(set(keys)), (name, keys)


# --- roles, authority, reason codes ------------------------------------------------------------


def test_roles_are_declared_once_in_snake_case_with_names() -> None:
    keys = [role["key"] for role in PACK["roles"]]
    assert len(keys) == len(set(keys))
    for role in PACK["roles"]:
        assert SNAKE.match(role["key"]), role
        assert role["name"].strip()


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_every_role_used_is_declared_in_the_pack(name: str) -> None:
    assert roles_of(SPECS[name]) <= PACK_ROLES


def test_every_declared_role_is_used() -> None:
    used = set().union(*(roles_of(spec) for spec in SPECS.values()))
    assert used == PACK_ROLES


def test_authority_limits_are_well_formed() -> None:
    categories = {spec["category"] for spec in SPECS.values()}
    pairs = [(a["role"], a["category"]) for a in PACK["authority"]]
    assert len(pairs) == len(set(pairs))
    for entry in PACK["authority"]:
        assert entry["role"] in PACK_ROLES
        assert entry["category"] in categories
        assert isinstance(entry["limit"], str)
        assert Decimal(entry["limit"]) > 0
    limits = {(a["role"], a["category"]): Decimal(a["limit"]) for a in PACK["authority"]}
    assert limits[("director", "capital")] == 25000
    assert limits[("vp", "capital")] == 100000
    assert limits[("cfo", "capital")] == 500000
    assert limits[("board", "capital")] == 100000000
    assert limits[("finance_approver", "invoice")] == 50000
    assert limits[("finance_approver", "write_off")] == 25000
    assert limits[("finance_approver", "staffing")] == 250000
    assert limits[("finance_approver", "financial_assistance")] == 50000


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_authority_steps_have_an_amount_field_and_role_limits(name: str) -> None:
    spec = SPECS[name]
    limits = {(a["role"], a["category"]) for a in PACK["authority"]}
    for step in steps_of(spec):
        if not step.get("authority"):
            continue
        assert spec["amount_field"], f"{name}: authority step needs amount_field"
        for selector in step["approvers"]:
            role = selector.removeprefix("role:")
            assert (role, spec["category"]) in limits, (name, step["key"], role)


def test_reason_codes() -> None:
    codes = [rc["code"] for rc in PACK["reason_codes"]]
    assert len(codes) >= 10
    assert len(codes) == len(set(codes))
    for rc in PACK["reason_codes"]:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", rc["code"])
        assert rc["label"].strip()
    for expected in (
        "NOT_MEDICALLY_NECESSARY",
        "INCOMPLETE_DOCUMENTATION",
        "OUT_OF_NETWORK",
        "DUPLICATE_REQUEST",
        "BUDGET_NOT_AVAILABLE",
        "POLICY_EXCLUSION",
        "NOT_COVERED_BENEFIT",
        "ALTERNATIVE_AVAILABLE",
    ):
        assert expected in codes


# --- the engine's parser -----------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_spec_parses_with_the_engine(name: str) -> None:
    try:
        parse_spec(SPECS[name], known_roles=PACK_ROLES)
    except SpecError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{name}: " + "; ".join(str(p) for p in exc.problems))


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_spec_parses_without_tenant_context(name: str) -> None:
    parse_spec(SPECS[name])


# --- form fields and PHI --------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_fields_are_labelled_and_patient_data_is_phi(name: str) -> None:
    spec = SPECS[name]
    for field in spec["form"]["fields"]:
        assert SNAKE.match(field["name"]), field["name"]
        assert field["label"].strip(), field["name"]
        assert field["visibility"] in VISIBILITIES, field["name"]
        assert "phi" not in field, "templates use visibility, not the older phi flag"
        if field["type"] in ("choice", "multi_choice"):
            assert field["choices"], field["name"]
        if field["type"] == "icd10" or field["name"] in IDENTIFYING_FIELDS:
            assert field["visibility"] == "phi", f"{name}: {field['name']} must be PHI"
        if field["type"] == "long_text" and spec["category"] in {
            "prior_auth",
            "formulary",
            "referral",
            "discharge",
        }:
            assert field["visibility"] == "phi", (
                f"{name}: clinical free text {field['name']} must be PHI"
            )
    names = {f["name"] for f in spec["form"]["fields"]}
    assert "urgency" not in names, "urgency is a built-in"
    if spec["amount_field"] is not None:
        money = {f["name"] for f in spec["form"]["fields"] if f["type"] == "money"}
        assert spec["amount_field"] in money


# The clinical and patient-finance templates: their patient identifiers, and the roles that
# may not see them (minimum necessary).
MINIMUM_NECESSARY = {
    "prior-auth-imaging.json": {"patient_name", "date_of_birth", "member_id", "diagnosis"},
    "prior-auth-submit.json": {"patient_name", "date_of_birth", "member_id", "diagnosis"},
    "referral-approval.json": {"patient_name", "date_of_birth", "diagnosis"},
    "formulary-exception.json": {"patient_name", "date_of_birth", "diagnosis", "medication"},
    "financial-assistance.json": {"patient_name", "patient_account_number"},
    "discharge-coordination.json": {"patient_name", "mrn", "notes"},
}


@pytest.mark.parametrize("name", sorted(MINIMUM_NECESSARY))
def test_clinical_templates_mark_patient_identifiers_phi_and_hide_them_from_some_roles(name):
    spec = SPECS[name]
    parsed = parse_spec(spec, known_roles=PACK_ROLES)
    phi = {f.name for f in parsed.fields if f.visibility == "phi"}
    assert MINIMUM_NECESSARY[name] <= phi, MINIMUM_NECESSARY[name] - phi
    assert parsed.phi_hidden_from_roles, f"{name} hides PHI from no role"
    assert set(parsed.phi_hidden_from_roles) <= PACK_ROLES
    # A role that decides a step on clinical grounds is never one that may not see PHI.
    clinical = {"utilization_reviewer", "medical_director", "pharmacist", "pt_committee",
                "case_manager", "financial_counselor"}  # fmt: skip
    assert not clinical & set(parsed.phi_hidden_from_roles)


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_conditions_only_use_form_fields_and_builtins(name: str) -> None:
    spec = SPECS[name]
    known = {f["name"] for f in spec["form"]["fields"]} | {"amount", "urgency", "department"}
    for condition in conditions_of(spec):
        assert compared_fields(condition) <= known


# --- SLAs ------------------------------------------------------------------------------------


def test_prior_auth_follows_cms_0057_f_clocks() -> None:
    sla = SPECS["prior-auth-imaging.json"]["sla"]
    assert sla["expedited"]["hours"] == 72
    assert sla["expedited"]["calendar"] == "calendar"
    assert sla["standard"]["hours"] == 168
    assert sla["standard"]["calendar"] == "calendar"


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_step_clocks_fit_inside_the_request_clock(name: str) -> None:
    spec = SPECS[name]
    for urgency, clock in spec.get("sla", {}).items():
        worst_path = sum(
            max(step["sla"][urgency]["hours"] for step in stage["steps"])
            for stage in spec["stages"]
        )
        assert worst_path <= clock["hours"], (name, urgency, worst_path)
        for step in steps_of(spec):
            assert step["sla"][urgency]["calendar"] == clock["calendar"]


# --- routing: sample submissions through the engine's form validation and conditions -------

NPI = "1234567893"  # the CMS example NPI; passes the Luhn check
SAMPLES: dict[str, dict[str, Any]] = {
    "prior-auth-appeal.json": {
        "appeal_reason": "Ten weeks of physical therapy are documented.",
        "peer_to_peer_requested": "Requested",
    },
    "prior-auth-imaging.json": {
        "patient_name": "Jordan Example",
        "date_of_birth": "1970-04-12",
        "member_id": "XZA123456789",
        "payer": "Blue Valley Health Plan",
        "cpt_code": "72148",
        "diagnosis": "M54.50",
        "ordering_provider_npi": NPI,
        "site_of_care": "Freestanding imaging center",
        "conservative_therapy_weeks": 8,
        "clinical_notes": "Low back pain for 10 weeks despite physical therapy and NSAIDs.",
    },
    "prior-auth-submit.json": {
        "patient_name": "Jordan Example",
        "date_of_birth": "1970-04-12",
        "member_id": "XZA123456789",
        "payer": "Acme Health",
        "cpt_code": "72148",
        "secondary_cpt_code": "72158",
        "diagnosis": "M54.50",
        "ordering_provider_npi": NPI,
        "site_of_care": "Freestanding imaging center",
        "conservative_therapy_weeks": 8,
        "clinical_notes": "Low back pain for 10 weeks despite physical therapy and NSAIDs.",
    },
    "capital-purchase.json": {
        "item_description": "Portable ultrasound system",
        "vendor": "Example Medical Systems Inc.",
        "amount": "120000.00",
        "cost_centre": "4100-RAD",
        "owning_department": "radiology",
        "justification": "Replaces two units past end of support.",
    },
    "staffing-request.json": {
        "request_type": "New position",
        "hiring_department": "icu",
        "position_title": "RN, ICU nights",
        "fte": "1.0",
        "annual_cost": "80000",
        "budgeted": "No",
        "justification": "Census up 12% year on year; agency spend is higher than the position.",
    },
    "claims-write-off.json": {
        "patient_account_number": "A00012345",
        "payer": "Acme Health",
        "date_of_service": "2025-11-03",
        "amount": "3200.00",
        "reason": "Timely filing limit exceeded",
        "primary_diagnosis": "E11.9",
    },
    "formulary-exception.json": {
        "patient_name": "Jordan Example",
        "date_of_birth": "1970-04-12",
        "exception_type": "Step therapy exception",
        "medication": "Adalimumab 40 mg/0.4 mL pen, every 14 days",
        "diagnosis": "M05.79",
        "prior_therapies": "Methotrexate 20 mg weekly for 6 months; inadequate response.",
        "prescriber_npi": NPI,
    },
    "financial-assistance.json": {
        "patient_name": "Jordan Example",
        "patient_account_number": "A00012345",
        "household_size": 4,
        "annual_household_income": "40000",
        "balance": "1500",
        "assistance_requested": "Full (100%)",
    },
    "referral-approval.json": {
        "patient_name": "Jordan Example",
        "date_of_birth": "1970-04-12",
        "referring_provider_npi": NPI,
        "specialty": "Cardiology",
        "in_network": "yes",
        "diagnosis": "I48.91",
        "reason": "New atrial fibrillation; rate control and anticoagulation plan.",
    },
    "invoice-vendor-approval.json": {
        "vendor": "Example Linen Services",
        "invoice_number": "INV-88812",
        "invoice_date": "2026-01-15",
        "amount": "4200.00",
        "po_number": "PO-2026-0042",
        "cost_centre": "7200-EVS",
        "attachment": "att_01HZX3",
    },
    "discharge-coordination.json": {
        "patient_name": "Jordan Example",
        "mrn": "MRN0042",
        "unit": "4 West, 12B",
        "planned_discharge_at": "2026-02-03T11:00:00",
        "disposition": "Home with home health",
        "transport": "yes",
        "transport_mode": "Wheelchair van",
    },
}


def route(
    name: str, overrides: dict[str, Any] | None = None, urgency: str = "standard"
) -> list[str]:
    """Steps that would get tasks: not skipped by `when` or `auto.skip_when`, not auto-approved."""
    spec = parse_spec(SPECS[name], known_roles=PACK_ROLES)
    cleaned = validate_submission(spec, {**SAMPLES[name], **(overrides or {})})
    assert cleaned.is_valid, cleaned.errors
    data = dict(cleaned.values)
    amount = data.get(spec.amount_field) if spec.amount_field else None
    data.update(amount=amount, urgency=urgency, department="general")
    out = []
    for stage in spec.stages:
        for step in stage.steps:
            if step.when is not None and not evaluate(step.when, data):
                continue
            if step.auto.skip_when is not None and evaluate(step.auto.skip_when, data):
                continue
            if step.auto.approve_when is not None and evaluate(step.auto.approve_when, data):
                continue
            out.append(step.key)
    return out


def test_every_template_has_a_valid_sample_submission() -> None:
    assert set(SAMPLES) == set(TEMPLATE_FILES)
    for name in TEMPLATE_FILES:
        route(name)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (20000, ["director"]),
        (25000, ["director"]),
        (60000, ["director", "vp"]),
        (120000, ["director", "vp", "cfo"]),
        (500000, ["director", "vp", "cfo"]),
        (750000, ["director", "vp", "cfo_endorsement", "board"]),
    ],
)
def test_capital_authority_ladder(amount: int, expected: list[str]) -> None:
    assert route("capital-purchase.json", {"amount": amount}) == expected


def test_capital_authority_steps_are_within_the_ladder() -> None:
    steps = {s["key"]: s for s in steps_of(SPECS["capital-purchase.json"])}
    assert steps["cfo"]["authority"] is True
    assert steps["board"]["authority"] is True
    assert not steps["director"]["authority"]
    assert not steps["vp"]["authority"]


@pytest.mark.parametrize(
    ("cpt", "weeks", "urgency", "medical_director"),
    [
        ("72148", 8, "standard", False),  # lumbar MRI after 8 weeks of conservative therapy
        ("72148", 2, "standard", True),  # lumbar MRI too early: physician review
        ("78815", 0, "standard", True),  # PET/CT: high-cost list
        ("70553", 0, "expedited", True),  # any expedited request
        ("70553", 0, "standard", False),  # brain MRI, standard
    ],
)
def test_prior_auth_medical_director_review(
    cpt: str, weeks: int, urgency: str, medical_director: bool
) -> None:
    overrides = {"cpt_code": cpt, "conservative_therapy_weeks": weeks}
    steps = route("prior-auth-imaging.json", overrides, urgency=urgency)
    assert steps[0] == "utilization_review"
    assert ("medical_director_review" in steps) is medical_director


def test_prior_auth_submit_reviews_internally_then_waits_for_the_payer() -> None:
    assert route("prior-auth-submit.json") == ["internal_review", "payer_decision"]
    spec = parse_spec(SPECS["prior-auth-submit.json"], known_roles=PACK_ROLES)
    _, payer = spec.step("payer_decision")
    assert payer.is_payer
    assert payer.payer_field == "payer"


def test_prior_auth_utilization_review_is_a_queue() -> None:
    review = steps_of(SPECS["prior-auth-imaging.json"])[0]
    assert review["approvers"] == ["role:utilization_reviewer"]
    assert review["assignment"] == "queue"
    assert review["quorum"] == "any"
    assert all(s["on_reject"] == "deny" for s in steps_of(SPECS["prior-auth-imaging.json"]))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"household_size": 4, "annual_household_income": 40000, "balance": 1500}, []),
        (
            {"household_size": 1, "annual_household_income": 40000, "balance": 1500},
            ["financial_counselor"],
        ),
        (
            {"household_size": 4, "annual_household_income": 40000, "balance": 2500},
            ["financial_counselor"],
        ),
        ({"household_size": 9, "annual_household_income": 100000, "balance": 900}, []),
        (
            {"household_size": 3, "annual_household_income": 90000, "balance": 15000},
            ["financial_counselor", "finance"],
        ),
    ],
)
def test_financial_assistance_touchless_and_finance(
    data: dict[str, Any], expected: list[str]
) -> None:
    assert route("financial-assistance.json", data) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(999.99, ["ap_clerk"]), (1000, ["ap_clerk", "finance"]), (80000, ["ap_clerk", "finance"])],
)
def test_invoice_small_amounts_skip_finance(amount: float, expected: list[str]) -> None:
    assert route("invoice-vendor-approval.json", {"amount": amount}) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(4999, ["revenue_cycle_manager"]), (5001, ["revenue_cycle_manager", "finance"])],
)
def test_write_off_finance_threshold(amount: int, expected: list[str]) -> None:
    assert route("claims-write-off.json", {"amount": amount}) == expected


def test_staffing_chain() -> None:
    name = "staffing-request.json"
    assert route(name, {"annual_cost": 80000}) == ["manager", "department_head", "hr"]
    assert route(name, {"annual_cost": 180000}) == ["manager", "department_head", "hr", "finance"]
    stages = SPECS[name]["stages"]
    assert stages[0]["steps"][0]["approvers"] == ["requester_manager"]
    assert stages[1]["steps"][0]["approvers"] == ["department_head"]


def test_formulary_committee_quorum_and_expedited_clock() -> None:
    spec = SPECS["formulary-exception.json"]
    committee = steps_of(spec)[-1]
    assert committee["approvers"] == ["role:pt_committee"]
    assert committee["quorum"] == 2
    assert spec["sla"]["expedited"]["hours"] == 24


def test_referral_out_of_network_goes_to_medical_director() -> None:
    name = "referral-approval.json"
    assert route(name, {"in_network": "yes"}) == ["referral_coordinator"]
    assert route(name, {"in_network": "no"}) == ["referral_coordinator", "medical_director"]
    assert all(s["on_reject"] == "return_to_requester" for s in steps_of(SPECS[name]))


def test_discharge_sign_offs_run_in_parallel() -> None:
    spec = SPECS["discharge-coordination.json"]
    assert len(spec["stages"]) == 1
    steps = spec["stages"][0]["steps"]
    assert [s["approvers"] for s in steps] == [
        ["role:pharmacist"],
        ["role:transport_coordinator"],
        ["role:case_manager"],
    ]
    assert all(s["quorum"] == "any" for s in steps)
    name = "discharge-coordination.json"
    assert route(name, {"transport": "yes"}) == ["pharmacy", "transport", "case_management"]
    assert route(name, {"transport": "no"}) == ["pharmacy", "case_management"]
    assert spec["sla"]["expedited"]["hours"] < spec["sla"]["standard"]["hours"]


# --- loader ----------------------------------------------------------------------------------


def test_load_pack_returns_the_manifest() -> None:
    assert library.load_pack() == PACK
    first = library.load_pack()
    first["templates"].clear()
    assert library.load_pack()["templates"], "callers get a fresh copy"


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_load_template_by_key(name: str) -> None:
    key = name.removesuffix(".json")
    assert library.load_template(key) == SPECS[name]


def test_template_keys_follow_pack_order() -> None:
    assert library.template_keys() == [n.removesuffix(".json") for n in PACK["templates"]]


def test_unknown_template_names_the_key() -> None:
    with pytest.raises(LookupError, match='"no-such-template"') as info:
        library.load_template("no-such-template")
    assert isinstance(info.value, library.TemplateNotFoundError)
    assert info.value.key == "no-such-template"
    assert "capital-purchase" in str(info.value)
