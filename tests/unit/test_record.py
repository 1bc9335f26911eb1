"""The result record: its JSON round trip, the records saved before the schema had a version."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from posture_cam.report.record import (
    CSV_COLUMNS,
    SCHEMA_VERSION,
    MeasureRecord,
    ResultRecord,
    csv_row,
)
from tests.records import make_record

# Records as posture_cam wrote them before the schema had a version (made with that code).
V1 = json.loads((Path(__file__).resolve().parents[1] / "data" / "records_v1.json").read_text())


def test_json_round_trip_gives_the_same_record() -> None:
    rec = make_record(12.5, 31.25, warn="camera_tilted", model_variant="lite", live_frames=15)
    data = json.loads(json.dumps(rec.to_dict(), allow_nan=False))
    assert data["schema_version"] == SCHEMA_VERSION
    assert ResultRecord.from_dict(data) == rec


def test_every_key_is_written_even_when_it_does_not_apply() -> None:
    data = make_record(blocked="no_person").to_dict()
    assert data["metrics"] is None
    assert data["live_fps"] is None and data["image_size"] is None and data["read_ok"] is None
    assert data["findings"][0]["code"] == "no_person"


def test_not_a_number_becomes_null() -> None:
    rec = make_record(math.nan, 30.0, tilt_pm=math.inf, live_fps=math.nan)
    data = rec.to_dict()
    assert data["metrics"]["pelvic_tilt_deg"] == {"value": None, "plus_minus": None}
    assert data["live_fps"] is None
    json.dumps(data, allow_nan=False)


def test_a_live_record_of_version_1_is_read() -> None:
    rec = ResultRecord.from_dict(V1["live"])
    assert rec.schema_version == SCHEMA_VERSION
    assert (rec.file, rec.model_variant, rec.live_frames, rec.live_fps) == (
        "Live check 10:11:12",
        "lite",
        15,
        24.3,
    )
    assert rec.measurable and rec.pelvic_tilt == MeasureRecord(12.5, 3.6)
    assert rec.metrics is not None and rec.metrics.camera_roll_deg == MeasureRecord(4.2, 0.35)
    assert [f.code for f in rec.warnings] == ["camera_tilted"]
    assert rec.assessment.pattern == V1["live"]["assessment"]["pattern"]
    assert rec.assessment.exercises == tuple(V1["live"]["assessment"]["exercises"])
    assert rec.read_ok is None and rec.image_size is None


def test_a_photo_record_of_version_1_is_read() -> None:
    rec = ResultRecord.from_dict(V1["photo"])
    assert not rec.measurable and rec.metrics is None and rec.pattern == "inconclusive"
    assert (rec.read_ok, rec.image_size, rec.people_found) == (True, (640, 960), 1)
    assert [f.code for f in rec.blocking] == ["not_side_view"]
    assert rec.live_frames is None


def test_reading_and_writing_a_version_1_record_keeps_its_content() -> None:
    for old in V1.values():
        new = ResultRecord.from_dict(old).to_dict()
        assert new.pop("schema_version") == SCHEMA_VERSION
        assert {k: v for k, v in new.items() if v is not None} == {
            k: v for k, v in old.items() if v is not None
        }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": SCHEMA_VERSION + 1}, "update posture_cam"),
        ({"assessment": {"pattern": "slouching"}}, "pattern must be one of"),
        ({"measurable": None, "findings": []}, None),
    ],
)
def test_bad_records_are_refused_with_a_reason(change: dict, message: str | None) -> None:
    data = {**make_record().to_dict(), **change}
    if message is None:
        data.pop("measurable")
        message = "lacks 'measurable'"
    with pytest.raises(ValueError, match=message):
        ResultRecord.from_dict(data)


def test_csv_row_has_every_column() -> None:
    row = csv_row(make_record(12.5, 31.25, warn="camera_tilted"))
    assert set(row) == set(CSV_COLUMNS)
    assert (row["pelvic_tilt_deg"], row["pelvic_tilt_deg_plus_minus"]) == (12.5, 3.6)
    assert row["finding_codes"] == "camera_tilted"
    assert (row["measurable"], row["read_ok"]) == ("yes", "")  # read_ok: not known here
    empty = csv_row(replace(make_record(blocked="no_person"), read_ok=True))
    assert empty["pelvic_tilt_deg"] is None and empty["pattern"] == "inconclusive"
    # Spreadsheet cells: yes/no, and nothing made up for what does not apply.
    assert (empty["measurable"], empty["read_ok"]) == ("no", "yes")
    assert empty["confidence"] is None


def test_csv_numbers_are_rounded_and_missing_ones_empty() -> None:
    row = csv_row(make_record(12.34567, 31.25, tilt_pm=float("nan")))
    assert row["pelvic_tilt_deg"] == 12.346
    assert row["pelvic_tilt_deg_plus_minus"] is None
    assert 0 < row["confidence"] <= 1 and row["confidence"] == round(row["confidence"], 3)


def test_the_record_module_loads_no_pipeline_opencv_or_mediapipe() -> None:
    import subprocess
    import sys

    code = (
        "import sys, posture_cam.report.record, posture_cam.report.pdf; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('cv2', 'mediapipe') "
        "or m == 'posture_cam.pipeline']; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
