"""JSON and CSV downloads carry the same data as the kept records (round trip)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from posture_cam.report.record import CSV_COLUMNS, METRIC_LABELS, ResultRecord
from posture_cam.report.session import Session, SessionEntry
from posture_cam.ui.photo_page import PhotoResult


@pytest.fixture
def two_entries(increased_result: PhotoResult, front_result: PhotoResult) -> Session:
    s = Session()
    s.add(SessionEntry(record=increased_result.record, source="photo"))
    s.add(SessionEntry(record=front_result.record, source="live"))
    return s


def test_json_round_trip(two_entries: Session) -> None:
    data = json.loads(two_entries.to_json())
    results = data["results"]
    assert [r["id"] for r in results] == [e.entry_id for e in two_entries.entries]
    for got, entry in zip(results, two_entries.entries, strict=True):
        assert got["source"] == entry.source
        assert got["time"] == entry.created.isoformat()
        assert ResultRecord.from_dict(got) == entry.record
    assert results[0]["assessment"]["pattern"] == "increased"
    assert results[1]["assessment"]["pattern"] == "inconclusive"


def test_csv_round_trip(two_entries: Session) -> None:
    rows = list(csv.DictReader(io.StringIO(two_entries.to_csv())))
    assert len(rows) == 2
    assert list(rows[0]) == ["time", "source", *CSV_COLUMNS]
    first, second = rows
    rec = two_entries.entries[0].record
    assert first["pattern"] == "increased"
    for name in METRIC_LABELS:
        assert rec.metrics is not None
        measure = rec.metrics.measure(name)
        assert float(first[name]) == pytest.approx(measure.value)
        assert float(first[name + "_plus_minus"]) == pytest.approx(measure.plus_minus)
    assert second["pattern"] == "inconclusive"
    assert "not_side_view" in second["finding_codes"]
    assert second["pelvic_tilt_deg"] == ""
