"""The history from the command line: list with baseline and verdicts, export, delete, save."""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from posture_cam.history.baseline import Z95
from posture_cam.history.repeatability import load_repeatability
from posture_cam.history.store import ENV_DATA_DIR, HistoryStore
from posture_cam.measure.calibration import load_calibration
from tests.records import make_record

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def run_cli(*args: str, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TZ="UTC")
    if db is not None:
        env[ENV_DATA_DIR] = str(db.parent)
    return subprocess.run(
        [sys.executable, "-m", "posture_cam", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _line(out: str, check_id: int) -> str:
    [line] = [ln for ln in out.splitlines() if ln.split()[:1] == [str(check_id)]]
    return line


def test_cli_list_shows_change_and_verdict_over_days(db: Path) -> None:
    rep, cal = load_repeatability(), load_calibration().variant("full")
    # The larger of the photo repeatability and the measured error of a change (as an SEM).
    sem_t, sem_l = (
        max(rep.bench_sem(m, "full"), cal.error(m, "change").sd / math.sqrt(2))
        for m in ("pelvic_tilt_deg", "lumbar_lordosis_deg")
    )
    sdc_t, sdc_l = Z95 * math.sqrt(2) * sem_t, Z95 * math.sqrt(2) * sem_l
    day = timedelta(days=1)
    with HistoryStore(db) as store:
        # Baseline: three photos on three days; medians 10 and 30.
        base = [
            store.add(make_record(t, lo), source="photo", variant="full", when=T0 + k * day)
            for k, (t, lo) in enumerate([(9.0, 31.0), (10.0, 30.0), (11.0, 29.0)])
        ]
        bad = store.add(
            make_record(blocked="not_side_view"), source="photo", variant="full", when=T0 + 4 * day
        )
        real = store.add(
            make_record(10.0 + 2 * sdc_t, 30.0 - 2 * sdc_l),
            source="photo",
            variant="full",
            when=T0 + 10 * day,
            label="after",
            note="new chair",
        )
        noise = store.add(
            make_record(10.0 + 0.4 * sdc_t, 30.0 + 0.4 * sdc_l),
            source="photo",
            variant="full",
            when=T0 + 20 * day,
        )

    proc = run_cli("history", "list", db=db)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "median of the first 3 good checks (2025-03-01 to 2025-03-03)" in out
    assert "pelvic tilt 10.0°, lower-back curve 30.0°" in out
    assert f"pelvic tilt ±{sdc_t:.1f}°, lower-back curve ±{sdc_l:.1f}°" in out
    for cid in base:
        assert _line(out, cid).count("(baseline)") == 2
    assert "2025-03-02 12:00" in _line(out, base[1])
    assert "not measured: not_side_view" in _line(out, bad)
    line = _line(out, real)
    assert f"+{2 * sdc_t:.1f}° real change (more anterior tilt)" in line
    assert f"-{2 * sdc_l:.1f}° real change (flatter)" in line
    assert "after" in line and "note: new chair" in out
    line = _line(out, noise)
    assert line.count("within noise") == 2 and "real change" not in line

    # A user-picked baseline range: the "real" check alone; now the others moved.
    proc = run_cli(
        "history",
        "list",
        "--db",
        str(db),
        "--baseline-from",
        "2025-03-11",
        "--baseline-to",
        "2025-03-11",
    )
    assert "median of 1 good check in the chosen range (2025-03-11)" in proc.stdout
    assert "real change (more posterior tilt)" in _line(proc.stdout, base[0])

    proc = run_cli("history", "list", "--since", "2025-03-05", "--label", "after", db=db)
    rows = [ln.split()[0] for ln in proc.stdout.splitlines()[5:]]
    assert rows == [str(real), "note:", "(5"]  # and "(5 more not shown by the filters)"


def test_cli_no_baseline_yet_and_empty(db: Path) -> None:
    proc = run_cli("history", "list", db=db)
    assert proc.returncode == 0 and "No checks saved yet" in proc.stdout
    with HistoryStore(db) as store:
        store.add(make_record(), source="photo", variant="full", when=T0)
    proc = run_cli("history", "list", db=db)
    assert "No baseline yet: 2 more good checks needed" in proc.stdout


def test_cli_export_and_delete(db: Path, tmp_path: Path) -> None:
    with HistoryStore(db) as store:
        ids = [
            store.add(make_record(), source="photo", variant="full", when=T0 + timedelta(k))
            for k in range(3)
        ]
    proc = run_cli("history", "export", db=db)
    assert proc.returncode == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(proc.stdout))] == [str(i) for i in ids]
    out = tmp_path / "h.csv"
    assert run_cli("history", "export", "-o", str(out), db=db).returncode == 0
    assert len(list(csv.DictReader(out.open(newline="")))) == 3

    proc = run_cli("history", "delete", str(ids[0]), db=db)
    assert proc.returncode == 0 and f"Deleted check {ids[0]}" in proc.stdout
    assert run_cli("history", "delete", str(ids[0]), db=db).returncode == 1
    assert run_cli("history", "delete", db=db).returncode == 2
    proc = run_cli("history", "delete", "--all", db=db)
    assert proc.returncode == 2 and "--yes" in proc.stderr
    proc = run_cli("history", "delete", "--all", "--yes", db=db)
    assert proc.returncode == 0 and "Deleted all 2 saved checks" in proc.stdout
    with HistoryStore(db) as store:
        assert len(store) == 0


def test_cli_reports_an_unusable_history(tmp_path: Path) -> None:
    bad = tmp_path / "h.sqlite3"
    bad.write_bytes(b"garbage " * 200)
    proc = run_cli("history", "list", "--db", str(bad))
    assert proc.returncode == 5 and "not a usable history database" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_analyze_save(test_data: Path, db: Path, tmp_path: Path) -> None:
    image = test_data / "synth" / "synth_000011000033.jpg"
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(os.urandom(2048))
    proc = run_cli(
        "analyze",
        str(image),
        str(junk),
        "--variant",
        "lite",
        "--save",
        "--note",
        "first try",
        "--label",
        "morning",
        db=db,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 4  # the junk file, as without --save
    assert "Saved 1 check to your history" in proc.stdout
    assert "Not saved to history (not measurable): " in proc.stdout
    assert "No baseline yet: 2 more good checks needed" in proc.stdout
    with HistoryStore(db) as store:
        [c] = store.list()
    assert (c.source, c.variant, c.note, c.label) == ("photo", "lite", "first try", "morning")
    assert c.record.file == str(image) and c.good and not c.has_image
    assert abs(c.time - datetime.now(UTC)) < timedelta(minutes=5)
