"""Guided checks as the session keeps them (report.guided_record) and in the session's exports."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from posture_cam.measure.breathing import BreathingResult
from posture_cam.measure.thomas import ThomasSide, combine_sides
from posture_cam.report.checklist import Checklist
from posture_cam.report.guided_record import breathing_check, range_check, thomas_check
from posture_cam.report.guided_text import NOT_A_DIAGNOSIS, BenchFigures
from posture_cam.report.session import Session
from posture_cam.types import Measurement as M
from tests.unit.test_guided_text import range_result

BENCH = BenchFigures(
    range_change_mae_tilt_deg=5.0,
    thomas_thigh_mae_deg=1.8,
    thomas_knee_mae_deg=2.6,
    breathing_rate_mae_per_min=0.2,
    breathing_share_mae_pct=3.0,
)


def _breathing() -> BreathingResult:
    t = np.linspace(0.0, 30.0, 7)
    return BreathingResult(
        rate_per_min=M(12.0, 0.3),
        chest_movement_px=M(2.0, 0.1),
        belly_movement_px=M(6.0, 0.1),
        chest_movement_pct=M(0.8, 0.04),
        belly_movement_pct=M(2.4, 0.04),
        belly_share_pct=M(75.0, 2.0),
        belly_lead_deg=5.0,
        noise_floor_px=0.5,
        noise_floor_pct=0.2,
        signal_to_noise_db=15.0,
        n_breaths=6,
        breath_cv=0.1,
        duration_s=30.0,
        trunk_length_px=250.0,
        trace_t_s=t,
        chest_trace_px=np.sin(t),
        belly_trace_px=3 * np.sin(t),
    )


def test_range_check_rows_carry_plus_minus_and_the_bench_error() -> None:
    g = range_check(range_result(8.0, 18.0, -2.0), "range.mp4", "lite", BENCH)
    rows = dict(g.rows)
    assert rows["Whole tilt range"] == "20.0 ± 0.7°"  # two holds of ± 0.5° each
    assert rows["Measured error on test material"] == "changes off by 5.0° on average"
    assert g.interpretation[-1] == NOT_A_DIAGNOSIS
    assert any("Levine" in s for s in g.sources)
    # Without bench figures there is no error row rather than a made-up one.
    plain = range_check(range_result(8.0, 18.0, -2.0), "range.mp4", "lite", BenchFigures())
    assert "Measured error on test material" not in dict(plain.rows)


def test_thomas_check_keeps_both_sides_and_their_difference() -> None:
    left = ThomasSide("left", M(5.0, 2.0), M(60.0, 3.0), 50.0, "above", "short", 8)
    right = ThomasSide("right", M(-12.0, 2.0), M(85.0, 3.0), 52.0, "below", "normal", 8)
    g = thomas_check(combine_sides(left, right), "photos", "full", BENCH)
    rows = dict(g.rows)
    assert rows["Left thigh to horizontal"] == "5.0 ± 2.0° (above)"
    assert rows["Right knee bend"] == "85.0 ± 3.0° (normal)"
    assert rows["Thigh angle, left − right"].startswith("17.0 ± 2.8")
    # Each side's words once; the shared closing sentences once.
    assert sum(s == NOT_A_DIAGNOSIS for s in g.interpretation) == 1
    assert any("Your left thigh" in s for s in g.interpretation)
    assert any("Your right thigh" in s for s in g.interpretation)


def test_session_exports_guided_checks_and_the_self_check() -> None:
    session = Session()
    assert session.empty
    g = breathing_check(_breathing(), "breathing.mp4", "lite", BENCH)
    session.add_guided(g)
    session.checklist = Checklist.from_keys(["pain_hips"])
    assert not session.empty
    data = json.loads(session.to_json())
    kept = data["guided_checks"][0]
    assert kept["check"] == "breathing" and kept["title"] == "Breathing"
    assert len(kept["result"]["trace"]["belly_px"]) == 7
    assert data["self_check"]["ticked"] == ["pain_hips"]
    assert "not a diagnosis" in data["self_check"]["summary"]
    rows = list(csv.DictReader(io.StringIO(session.guided_to_csv())))
    assert {r["measure"] for r in rows} >= {"Breathing rate", "Belly share"}
    assert rows[0]["check"] == "Breathing"
    session.remove(g.entry_id)
    assert session.guided == [] and not session.empty  # the ticked sign stays
    session.add_guided(g)
    session.clear()
    assert session.guided == [] and session.checklist is not None
