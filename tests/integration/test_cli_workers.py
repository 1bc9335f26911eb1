"""``posture-cam analyze --workers N``: the same results, in the same order, from worker
processes with a landmarker each as from one process, and the progress line fed in order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from posture_cam.cli.batch import MIN_FILES_PER_WORKER, BatchJob, analyze_files
from posture_cam.pose.models import ModelFile
from tests.integration.test_cli import _no_traceback, run_cli


@pytest.fixture(scope="module")
def folder(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough pictures for two workers: renders, real photos and a file that is no image."""
    root = tmp_path_factory.mktemp("photos")
    pictures = sorted((test_data / "synth").glob("*.jpg")) + [
        test_data / "real" / name
        for name in ("cyclist_side.jpg", "front_full_body.png", "three_people.jpg")
    ]
    for k, path in enumerate(pictures):
        shutil.copy(path, root / f"{k:02d}_{path.name}")
    (root / "99_broken.jpg").write_bytes(b"not a picture at all")
    assert len(list(root.iterdir())) >= 2 * MIN_FILES_PER_WORKER
    return root


def _analyze(folder: Path, out: Path, workers: int) -> tuple[list[dict], list[str]]:
    overlays = out / f"overlays_{workers}"
    json_path = out / f"results_{workers}.json"
    proc = run_cli(
        "analyze",
        str(folder),
        "--workers",
        str(workers),
        "--json",
        str(json_path),
        "--overlay",
        str(overlays),
    )
    _no_traceback(proc)
    assert proc.returncode == 4, proc.stderr  # the broken file
    names = sorted(p.name for p in overlays.iterdir())
    return json.loads(json_path.read_text())["results"], names


def test_two_workers_give_the_same_results_in_the_same_order(folder: Path, tmp_path: Path) -> None:
    one, overlays_one = _analyze(folder, tmp_path, 1)
    two, overlays_two = _analyze(folder, tmp_path, 2)
    files = sorted(p.name for p in folder.iterdir())  # named relative to the folder given
    assert [r["file"] for r in two] == [r["file"] for r in one] == files
    assert two == one  # every number, finding and word
    assert overlays_two == overlays_one
    assert len(overlays_two) == len(files) - 1  # all but the broken file


def test_two_workers_report_each_result_in_the_input_order(
    folder: Path, lite_model: ModelFile
) -> None:
    """What the progress line is fed: each file's index once its result is in, in order."""
    files = [(p, p.name) for p in sorted(folder.iterdir())]
    done: list[int] = []
    job = BatchJob(str(lite_model.path), lite_model.variant)
    records = analyze_files(files, job, workers=2, on_done=done.append)
    assert done == list(range(len(files)))
    assert [r.file for r in records] == [name for _, name in files]


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_workers_must_be_a_positive_number(folder: Path, bad: str) -> None:
    proc = run_cli("analyze", str(folder), "--workers", bad)
    _no_traceback(proc)
    assert proc.returncode == 2 and "--workers" in proc.stderr
