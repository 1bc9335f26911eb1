"""The command line as a person uses it: real files, real model, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posture_cam.pose.models import ModelFile

BIN = Path(sys.executable).parent


def run_cli(
    *args: str, model: ModelFile | None = None, cwd: Path | None = None, columns: int = 1000
) -> subprocess.CompletedProcess[str]:
    """Run the CLI; its output is wrapped to ``columns`` (wide: messages stay on one line)."""
    env = dict(os.environ)
    env["COLUMNS"] = str(columns)
    if model is not None:
        env["POSTURE_CAM_MODEL"] = str(model.path)
    return subprocess.run(
        [sys.executable, "-m", "posture_cam", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def _no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("three_people.jpg", "several_people"),
        ("front_full_body.png", "not_side_view"),
        ("upper_body_portrait.jpg", "body_cropped"),
        ("car_drawing_named_side.jpg", "no_person"),
    ],
)
def test_gated_photos_report_their_reason(
    test_data: Path, full_model: ModelFile, tmp_path: Path, name: str, code: str
) -> None:
    out = tmp_path / "out.json"
    proc = run_cli(
        "analyze", str(test_data / "real" / name), "--json", str(out), "--variant", "full"
    )
    _no_traceback(proc)
    assert proc.returncode == 1
    result = json.loads(out.read_text())["results"][0]
    assert result["findings"][0]["code"] == code
    assert result["assessment"]["pattern"] == "inconclusive"
    assert result["findings"][0]["message"] in proc.stdout


def test_three_people_reports_several_people(test_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    run_cli("analyze", str(test_data / "real" / "three_people.jpg"), "--json", str(out))
    result = json.loads(out.read_text())["results"][0]
    assert result["people_found"] >= 2


def test_random_bytes_named_jpg(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(os.urandom(4096))
    proc = run_cli("analyze", str(bad))
    _no_traceback(proc)
    assert proc.returncode == 4
    assert "is not an image" in proc.stdout


def test_side_view_prints_metrics_pattern_reasons_exercises(
    test_data: Path, tmp_path: Path
) -> None:
    image = test_data / "synth" / "synth_000011000033.jpg"
    out_json, out_csv, overlays = tmp_path / "o.json", tmp_path / "o.csv", tmp_path / "ov"
    proc = run_cli(
        "analyze",
        str(image),
        "--json",
        str(out_json),
        "--csv",
        str(out_csv),
        "--overlay",
        str(overlays),
    )
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Pattern:" in proc.stdout
    assert "Pelvic tilt" in proc.stdout and "±" in proc.stdout
    assert "Exercises to try:" in proc.stdout
    rec = json.loads(out_json.read_text())["results"][0]
    tilt = rec["metrics"]["pelvic_tilt_deg"]
    assert isinstance(tilt["value"], float) and tilt["plus_minus"] > 0
    assert rec["assessment"]["pattern"] in {"increased", "flattened", "neutral"}
    assert rec["assessment"]["reasons"] and rec["assessment"]["exercises"]
    rows = list(csv.DictReader(out_csv.open()))
    assert rows[0]["pattern"] == rec["assessment"]["pattern"]
    assert float(rows[0]["pelvic_tilt_deg"]) == pytest.approx(tilt["value"])
    written = list(overlays.glob("*.jpg"))
    assert len(written) == 1 and written[0].stat().st_size > 10_000


def test_folder_is_searched_recursively_and_skipped_files_are_named(
    test_data: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "photos" / "nested"
    tree.mkdir(parents=True)
    shutil.copy(test_data / "real" / "car_drawing_named_side.jpg", tree / "a.jpg")
    shutil.copy(test_data / "synth" / "synth_000011000034.jpg", tmp_path / "photos")
    (tmp_path / "photos" / "notes.txt").write_text("not a picture, skipped in folders")
    (tmp_path / "photos" / "walk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    proc = run_cli("analyze", str(tmp_path / "photos"), "--csv", str(tmp_path / "r.csv"))
    _no_traceback(proc)
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    # Named relative to the folder given, in the output and the CSV.
    assert sorted(r["file"] for r in rows) == ["nested/a.jpg", "synth_000011000034.jpg"]
    assert "\nnested/a.jpg\n" in proc.stdout
    assert "Skipped 1 video" in proc.stderr and "walk.mp4" in proc.stderr
    assert "Skipped (not a picture): notes.txt." in proc.stderr
    assert "1/2" not in proc.stderr  # no progress line when stderr is not a terminal
    assert proc.returncode == 1  # one of them has nobody in it


def test_output_fits_an_80_column_terminal_and_says_confidence_as_the_app(
    full_model: ModelFile,
) -> None:
    samples = Path(__file__).resolve().parents[2] / "samples"
    proc = run_cli("analyze", str(samples), columns=80)
    _no_traceback(proc)
    lines = proc.stdout.splitlines()
    longest = max(len(line) for line in lines)
    print(f"\nlongest of {len(lines)} lines: {longest} characters")
    assert longest <= 80
    assert "(confidence over 99 %)" in proc.stdout or re.search(
        r"\(confidence \d+ %\)", proc.stdout
    )
    assert "\nincreased_curve_side.jpg\n" in proc.stdout  # relative to the folder given
    assert "picture" in lines[-5] or any(line.startswith("picture ") for line in lines)


def test_no_pictures_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli("analyze", str(tmp_path))
    _no_traceback(proc)
    assert proc.returncode == 2
    assert "No picture files found" in proc.stderr


def test_missing_model_file_is_reported(tmp_path: Path) -> None:
    img = tmp_path / "x.png"
    img.write_bytes(b"")
    proc = run_cli("analyze", str(img), "--model", str(tmp_path / "missing.task"))
    _no_traceback(proc)
    assert proc.returncode == 3


def test_console_script_is_installed(test_data: Path) -> None:
    exe = BIN / "posture-cam"
    assert exe.exists(), "install the package (pip install -e .) to get the posture-cam command"
    proc = subprocess.run(
        [str(exe), "analyze", str(test_data / "real" / "front_full_body.png")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1 and "not a side view" in proc.stdout
