"""The guided checks' bench figures file, ``posture_cam/data/guided_bench.json``.

``{check: {variant: {figure: value, ...}}, "info": {check: {...}}}``; each bench updates its
own check and variants and keeps the rest. The app's wording reads it
(:func:`posture_cam.report.guided_text.load_bench_figures`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE = Path(__file__).resolve().parents[1] / "posture_cam" / "data" / "guided_bench.json"


def update(check: str, variant: str, figures: dict[str, float], info: dict[str, Any]) -> Path:
    """Merge one check's figures for one model variant into the file and write it."""
    data: dict[str, Any] = json.loads(FILE.read_text()) if FILE.is_file() else {}
    data.setdefault(check, {})[variant] = {k: round(float(v), 3) for k, v in figures.items()}
    data.setdefault("info", {})[check] = {
        **info,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return FILE
