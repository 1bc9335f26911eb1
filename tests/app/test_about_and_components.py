"""About page, the reusable components, the shared formats, and the import-time promise."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from posture_cam.measure.calibration import load_calibration
from posture_cam.measure.classify import classify
from posture_cam.measure.gates import Finding, GateReport
from posture_cam.report.record import (
    MeasureRecord,
    ReasonRecord,
    ResultRecord,
    result_record,
)
from posture_cam.report.wording import (
    confidence_text,
    format_measure,
    metric_rows,
    reason_line,
)
from posture_cam.types import Measurement, Pattern
from posture_cam.ui.about_page import conventions_table
from posture_cam.ui.photo_page import PhotoResult
from tests.records import make_record


def test_conventions_table_comes_from_geometry_docstring() -> None:
    rows = conventions_table()
    names = [r["quantity"] for r in rows]
    assert "pelvic_tilt_deg" in names and "lumbar_lordosis_deg" in names
    tilt = next(r for r in rows if r["quantity"] == "pelvic_tilt_deg")
    assert "anterior" in tilt["0° and sign"]


def test_conventions_table_parser_on_a_small_table() -> None:
    doc = """x
    ===  =====  ====
    a    b      c
    ===  =====  ====
    1    two    3 and 4
    ===  =====  ====
    """
    assert conventions_table(doc) == [{"a": "1", "b": "two", "c": "3 and 4"}]
    assert conventions_table("no table here") == []


def _about_script() -> None:
    from posture_cam.ui.about_page import render_about_page

    render_about_page()


def test_about_page_shows_bench_numbers_evidence_and_privacy() -> None:
    at = AppTest.from_function(_about_script, default_timeout=30).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "Youdas 1996" in text and "Levine & Whittle 1996" in text
    assert "127.0.0.1" in text
    assert "usage metrics to Google" in text and "not images" in text
    tilt, lordosis = load_calibration().for_variant("full")
    accuracy = next(t.value for t in at.table if "Pelvic tilt" in t.value.columns)
    assert list(accuracy.columns) == ["Pose model", "Pelvic tilt", "Lower-back curve"]
    full = accuracy[accuracy["Pose model"] == "photos: one picture"].iloc[0]
    assert full["Pelvic tilt"].startswith(f"± {tilt.mae:.1f}°")
    assert f"95 % under {lordosis.p95_abs_error:.1f}°" in full["Lower-back curve"]
    change = load_calibration().variant("full").error("pelvic_tilt_deg", "change")
    row = accuracy[accuracy["Pose model"] == "photos: a change between two checks"].iloc[0]
    assert row["Pelvic tilt"].startswith(f"± {change.mae:.1f}°")


def test_about_page_has_no_developer_words() -> None:
    at = AppTest.from_function(_about_script, default_timeout=30).run()
    words = [m.value for m in at.markdown] + [c.value for c in at.caption]
    words += [str(t.value.to_dict()) for t in [*at.table, *at.dataframe]]
    text = "\n".join(words)
    for jargon in (
        "DESIGN.md",
        ".py",
        "posture_cam/",
        "ridge regression",
        "-fold",
        "seed",
        "index %",
    ):
        assert jargon not in text, jargon
    assert "Preece et al. 2008" in text and "Rajabi" in text  # the norms' papers


def _card_script(record, pattern, findings):  # noqa: ANN001, ANN202 - AppTest runs its source alone
    from posture_cam.ui.components import (
        render_exercises,
        render_photo_guidance,
        render_result_card,
    )

    render_result_card(record)
    render_exercises(pattern)
    render_photo_guidance(findings)


def test_components_render_a_record_and_guidance(
    increased_result: PhotoResult, front_result: PhotoResult
) -> None:
    at = AppTest.from_function(
        _card_script,
        args=(increased_result.record, "increased", list(front_result.record.findings)),
        default_timeout=30,
    ).run()
    assert not at.exception
    assert [m.label for m in at.metric] == ["Pelvic tilt", "Lower-back curve"]
    assert any(m.value.startswith("Confidence **") for m in at.markdown)
    assert any("Increased curve" in m.value for m in at.markdown)
    assert "not a side view" in at.warning[0].value


def test_guidance_for_a_read_error_is_the_read_error() -> None:
    finding = Finding("not_an_image", "“x.jpg” is a text file, not a photo.", "Choose a photo.")
    gates = GateReport(findings=(finding,))
    record = result_record("x.jpg", gates, None, classify(gates, None))
    at = AppTest.from_function(
        _card_script, args=(record, "inconclusive", list(record.findings)), default_timeout=30
    ).run()
    assert not at.exception
    assert "text file" in at.error[0].value
    assert not any("How to take a photo" in m.value for m in at.markdown)


def _with_confidence(pattern: Pattern, confidence: float) -> ResultRecord:
    rec = make_record()
    return replace(rec, assessment=replace(rec.assessment, pattern=pattern, confidence=confidence))


def test_formats(increased_result: PhotoResult) -> None:
    assert format_measure(Measurement(-3.26, 3.0), "°") == "−3.3° ± 3.0°"
    assert format_measure(MeasureRecord(1.5, 1.5), "% height") == "1.5 % ± 1.5 %"
    assert format_measure(MeasureRecord(2.0, None), "°") == "2.0°"
    assert format_measure(None, "°") == "–"
    assert confidence_text(_with_confidence("neutral", 0.634)) == "63 %"
    assert confidence_text(_with_confidence("increased", 0.999)) == "over 99 %"
    assert confidence_text(_with_confidence("inconclusive", 0.0)) == "–"
    line = reason_line(
        ReasonRecord(
            metric="pelvic_tilt_deg",
            value=17.2,
            plus_minus=3.8,
            typical=5.0,
            typical_sd=5.0,
            z=2.44,
            text="",
            source="",
        )
    )
    assert line == (
        "Pelvic tilt (ASIS-PSIS, + = forward): 17° ± 4°, typical 5° "
        "(range 0 to 10°); 2.4 SD above typical."
    )
    rows = metric_rows(increased_result.record)
    assert len(rows) >= 10 and all(r.plus_minus.startswith("±") for r in rows)


def test_importing_loads_no_model_and_no_mediapipe(app_path: Path) -> None:
    """Import-time promise: importing the app's modules starts no mediapipe runtime (so no
    model either) and no matplotlib (the PDF finds its font by path)."""
    code = (
        "import sys\n"
        "import posture_cam.ui.photo_page, posture_cam.ui.report_page\n"
        "import posture_cam.ui.about_page, posture_cam.ui.components, posture_cam.ui.state\n"
        "import posture_cam.report.pdf, posture_cam.report.wording\n"
        "bad = [m for m in ('mediapipe', 'matplotlib') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=app_path.parent, timeout=60)
