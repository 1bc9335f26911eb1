"""Turn analyses into plain records (pure): the one shape behind JSON, CSV, the table and PDF."""

from __future__ import annotations

from typing import Any

from .pipeline import PhotoAnalysis

__all__ = ["analysis_record", "csv_row", "CSV_COLUMNS"]


def analysis_record(a: PhotoAnalysis) -> dict[str, Any]:
    """A JSON-ready dict of everything known about one photo."""
    det = a.detection
    rec: dict[str, Any] = {
        "file": a.name,
        "read_ok": a.image is not None,
        "image_size": [a.image.width, a.image.height] if a.image is not None else None,
        "people_found": det.n_people if det is not None else None,
        "near_side": a.gates.near_side,
        "facing": a.gates.facing,
        "side_view_ratio": a.gates.side_view_ratio,
        "measurable": a.measurable,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "hint": f.hint,
                "value": f.value,
                "threshold": f.threshold,
            }
            for f in a.gates.findings
        ],
    }
    return rec


CSV_COLUMNS = (
    "file",
    "read_ok",
    "people_found",
    "near_side",
    "side_view_ratio",
    "measurable",
    "finding_codes",
    "messages",
)


def csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Flatten a record from :func:`analysis_record` into one CSV row."""
    row = {k: rec.get(k) for k in CSV_COLUMNS}
    row["finding_codes"] = ";".join(f["code"] for f in rec["findings"])
    row["messages"] = " | ".join(f["message"] for f in rec["findings"])
    return row
