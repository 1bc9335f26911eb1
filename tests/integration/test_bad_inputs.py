"""The bad-input corpus through the command line: the right message, exit code, no traceback.

The corpus (``tests/bad_input_corpus.py``) is written into a temporary folder; the CLI runs
once on the whole folder (the text file and the PDF are named explicitly: folders are
searched for picture suffixes only), then once per expected exit code on that group of
files, which proves each file's own exit code without 40 process starts.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from posture_cam.cli.main import IMAGE_SUFFIXES
from tests.bad_input_corpus import CASES, CORPUS_DIR, MEASURED, Case, build_corpus


@dataclass(frozen=True)
class CliRun:
    proc: subprocess.CompletedProcess[str]
    records: dict[str, dict]  # by file name

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr


def run_analyze(paths: Iterable[Path], out: Path) -> CliRun:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "posture_cam",
            "analyze",
            *map(str, paths),
            "--variant",
            "lite",
            "--json",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # A wide terminal: each message stays on one line, as the checks below read it.
        env={**os.environ, "COLUMNS": "1000"},
    )
    records = {}
    if out.exists():
        records = {Path(r["file"]).name: r for r in json.loads(out.read_text())["results"]}
    return CliRun(proc, records)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, lite_model: object) -> Path:
    return build_corpus(tmp_path_factory.getbasetemp() / CORPUS_DIR)


@pytest.fixture(scope="module")
def whole_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    extra = [corpus / c.file for c in CASES if Path(c.file).suffix not in IMAGE_SUFFIXES]
    return run_analyze([corpus, *extra], tmp_path_factory.mktemp("cli") / "all.json")


def _headline(record: dict) -> str:
    blocking = [f for f in record["findings"] if f["severity"] == "block"]
    return blocking[0]["code"] if blocking else MEASURED


def test_corpus_has_at_least_30_cases(corpus: Path) -> None:
    files = sorted(p.name for p in corpus.iterdir())
    assert len(files) == len(CASES) >= 30
    assert len({c.case for c in CASES}) == len(CASES)


def test_whole_corpus_run_reports_every_file_without_traceback(whole_run: CliRun) -> None:
    assert "Traceback" not in whole_run.output
    assert whole_run.proc.returncode == 4  # some files cannot be read as images
    assert set(whole_run.records) == {c.file for c in CASES}
    assert "picture" in whole_run.proc.stdout and "result" in whole_run.proc.stdout  # summary


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.case)
def test_case_gets_its_specific_message(case: Case, whole_run: CliRun) -> None:
    r = whole_run.records[case.file]
    assert _headline(r) == case.outcome, r["findings"]
    if case.outcome == MEASURED:
        assert r["measurable"] and r["read_ok"]
        assert r["assessment"]["title"].startswith(case.phrase)
        assert r["assessment"]["title"] in whole_run.proc.stdout
        for key in ("pelvic_tilt_deg", "lumbar_lordosis_deg"):
            m = r["metrics"][key]
            assert math.isfinite(m["value"]) and math.isfinite(m["plus_minus"]), (key, m)
    else:
        head = next(f for f in r["findings"] if f["severity"] == "block")
        assert case.phrase in head["message"] + " " + head["hint"]
        assert r["assessment"]["pattern"] == "inconclusive"
        assert not r["measurable"]
        # What the person reads: the message and the hint, printed under the file name.
        assert head["message"] in whole_run.proc.stdout
        assert head["hint"] in whole_run.proc.stdout


def test_rotated_mirrored_and_re_encoded_side_views_give_the_upright_answer(
    whole_run: CliRun,
) -> None:
    upright = whole_run.records["side_view.jpg"]["assessment"]["pattern"]
    assert upright == "increased"
    differ = {
        c.file: whole_run.records[c.file]["assessment"]["pattern"]
        for c in CASES
        if c.same_pattern and whole_run.records[c.file]["assessment"]["pattern"] != upright
    }
    assert not differ
    # Every EXIF orientation is turned upright: the picture read is portrait, as shot.
    sizes = {
        whole_run.records[f"exif_{o}.jpg"]["image_size"][0]
        < whole_run.records[f"exif_{o}.jpg"]["image_size"][1]
        for o in range(1, 9)
    }
    assert sizes == {True}


@pytest.mark.parametrize("exit_code", sorted({c.exit_code for c in CASES}))
def test_each_group_of_files_gives_its_documented_exit_code(
    exit_code: int, corpus: Path, tmp_path: Path
) -> None:
    """Exit codes (cli.py): 0 all measured, 1 some not measurable, 4 some not readable.

    Run per group: 0 proves every file in it is measured; 1 that none is unreadable; and the
    records show that every file of group 1 and 4 is itself not measured / not read.
    """
    group = [c for c in CASES if c.exit_code == exit_code]
    run = run_analyze([corpus / c.file for c in group], tmp_path / "group.json")
    assert "Traceback" not in run.output
    assert run.proc.returncode == exit_code, run.output[-2000:]
    for c in group:
        r = run.records[c.file]
        assert r["read_ok"] == (exit_code != 4), c.case
        assert r["measurable"] == (exit_code == 0), c.case


@pytest.mark.parametrize(
    ("file", "exit_code"),
    [("side_view.jpg", 0), ("front_view.png", 1), ("empty.jpg", 4), ("bomb.png", 4)],
)
def test_single_file_exit_code(file: str, exit_code: int, corpus: Path, tmp_path: Path) -> None:
    run = run_analyze([corpus / file], tmp_path / "one.json")
    assert "Traceback" not in run.output
    assert run.proc.returncode == exit_code
