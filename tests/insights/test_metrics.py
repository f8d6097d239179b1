"""Dashboard metrics on a hand-built data set with known answers."""

from datetime import date

import pytest

from apps.insights import selectors
from apps.insights.cms import CmsSettings, cms_report, items_requiring_prior_auth
from apps.insights.selectors import Filters
from tests.insights.dataset import NOW, build

YEAR = Filters(start=date(2019, 1, 1), end=date(2019, 12, 31), workflow="prior-auth-imaging")


@pytest.fixture
def world(in_tenant_a, carol, bob):
    return build(carol=carol, bob=bob)


def test_cycle_time_by_urgency_mean_median_p90(world):
    rows = {r["urgency"]: r for r in selectors.cycle_time_by_urgency(YEAR)}
    assert rows["standard"] == {
        "urgency": "standard",
        "completed": 6,
        "mean_hours": 35.0,
        "median_hours": 35.0,
        "p90_hours": 55.0,
    }
    assert rows["expedited"] == {
        "urgency": "expedited",
        "completed": 3,
        "mean_hours": 24.0,
        "median_hours": 24.0,
        "p90_hours": 33.6,
    }


def test_cycle_time_by_workflow(world):
    (row,) = selectors.cycle_time_by_workflow(YEAR)
    assert row["completed"] == 9
    assert row["median_hours"] == 30.0  # 10 12 20 24 [30] 36 40 50 60


def test_steps_and_bottlenecks(world):
    rows = selectors.cycle_time_by_step(YEAR)
    assert [r["step_key"] for r in rows] == ["medical_director_review", "utilization_review"]
    review = rows[1]
    assert review["closed_tasks"] == 5
    assert review["median_hours"] == 4.0
    assert review["mean_hours"] == 4.2
    assert review["p90_hours"] == 7.2
    assert selectors.bottlenecks(YEAR, limit=1)[0]["median_hours"] == 10.0


def test_rates(world):
    r = selectors.outcome_rates(YEAR)
    assert (r["total"], r["decided"], r["approved"], r["partial"], r["denied"]) == (11, 9, 6, 1, 2)
    assert r["denial_rate"] == 22.2
    assert r["touchless_rate"] == 11.1
    assert r["first_pass"] == 6
    assert r["first_pass_rate"] == 66.7
    assert r["appeals_approved"] == 1
    assert r["approved_after_appeal_rate"] == 11.1
    assert r["exceptions"] == 1
    assert r["exception_rate"] == 9.1


def test_volume_and_filters(world):
    rows = {r["urgency"]: r for r in selectors.volume(YEAR)}
    assert rows["standard"]["submitted"] == 8
    assert rows["standard"]["open"] == 2
    assert rows["expedited"]["submitted"] == 3
    assert (
        selectors.outcome_rates(Filters(**{**YEAR.__dict__, "urgency": "expedited"}))["total"] == 3
    )
    assert (
        selectors.outcome_rates(Filters(**{**YEAR.__dict__, "department": "radiology"}))["total"]
        == 1
    )
    assert (
        selectors.outcome_rates(Filters(**{**YEAR.__dict__, "end": date(2019, 1, 8)}))["total"] == 2
    )


def test_sla_adherence_and_breaches(world):
    (row,) = selectors.sla_adherence(YEAR)
    assert row == {
        "scope": "request",
        "clocks": 5,
        "breached": 1,
        "extended": 1,
        "escalated": 1,
        "adherence_pct": 80.0,
    }
    assert selectors.breaches_by_step(YEAR) == [
        {"scope": "request", "step_key": "(request)", "breaches": 1}
    ]


def test_queue_ageing(world):
    rows = {r["age"]: r["open_tasks"] for r in selectors.queue_ageing(YEAR, now=NOW)}
    assert rows == {"< 1 day": 1, "1-3 days": 0, "3-7 days": 1, "> 7 days": 0}


def test_denial_reasons_and_workload(world):
    reasons = selectors.denial_reasons(YEAR)
    assert {(r["reason_code"], r["denials"], r["share_pct"]) for r in reasons} == {
        ("insights-test-necessity", 1, 50.0),
        ("insights-test-documents", 1, 50.0),
    }
    (bob,) = selectors.approver_workload(YEAR)
    assert bob["email"] == "bob@alpha.test"
    assert bob["decisions"] == 6
    assert bob["pending_now"] == 2
    assert bob["median_hours_to_decide"] == 5.0  # 1 2 4 | 6 8 10


def test_cms_report_standard_and_expedited(world):
    report = cms_report(year=2019)
    s, e = report["standard"], report["expedited"]
    assert (s["total"], s["approved"], s["partially_approved"], s["denied"]) == (6, 4, 1, 1)
    assert s["approved_pct"] == 66.7
    assert s["partially_approved_pct"] == 16.7
    assert s["denied_pct"] == 16.7
    assert s["approved_after_appeal"] == 1
    assert s["approved_after_appeal_pct"] == 16.7
    assert s["extended_then_approved"] == 1
    assert s["extended_then_approved_pct"] == 16.7
    assert s["avg_hours_to_decision"] == 35.0
    assert s["median_hours_to_decision"] == 35.0
    assert (e["total"], e["approved_pct"], e["denied_pct"]) == (3, 66.7, 33.3)
    assert e["avg_hours_to_decision"] == 24.0
    assert e["median_hours_to_decision"] == 24.0
    assert cms_report(year=2018)["standard"]["total"] == 0


def test_cms_counting_partial_as_approved(world):
    s = cms_report(year=2019, settings=CmsSettings(count_partial_as_approved=True))["standard"]
    assert s["approved"] == 5
    assert s["approved_pct"] == 83.3
    assert s["partially_approved_pct"] is None


def test_items_requiring_prior_auth_from_the_spec(in_tenant_a):
    items = items_requiring_prior_auth()
    routed = [i for i in items if "72148" in i["codes"]]
    assert routed
    assert "78811" in routed[0]["codes"]
    assert any(i["codes"] == "any code entered" for i in items)
