"""What ``posture-cam analyze`` prints, without a model: wrapping, names, progress, skips."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from posture_cam.cli.output import (
    Progress,
    collect_inputs,
    print_record,
    print_skipped,
    print_summary,
)
from posture_cam.report.wording import confidence_text
from tests.records import make_record

LONG_NAME = "holiday/2026/a_rather_long_folder_name/side_view_in_the_garden_morning.jpg"


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_a_result_wraps_to_the_width_and_keeps_words_whole(width: int) -> None:
    record = make_record(20.0, 45.0, name=LONG_NAME, warn="camera_tilted")
    out = io.StringIO()
    print_record(record, 3, out, width)
    text = out.getvalue()
    assert all(len(line) <= width for line in _lines(text)), text
    printed_words = set(text.split())
    for word in record.assessment.summary.split():
        assert word in printed_words, word  # never split mid-word
    assert f"(confidence {confidence_text(record)})" in text  # as the app says it
    assert "Pelvic tilt" in text and "°" in text and "deg" not in text


def test_an_unmeasurable_picture_says_what_and_how_to_fix_it_within_the_width() -> None:
    record = make_record(blocked="not_side_view", name="front.jpg")
    out = io.StringIO()
    print_record(record, 3, out, 40)
    assert "✗ not_side_view message" in out.getvalue() and "→ a hint" in out.getvalue()
    assert all(len(line) <= 40 for line in _lines(out.getvalue()))


@pytest.mark.parametrize("width", [50, 80])
def test_summary_table_fits_the_width(width: int) -> None:
    records = [
        make_record(20.0, 45.0, name=LONG_NAME),
        make_record(blocked="not_side_view", name="front.jpg"),
        make_record(5.0, 23.0, name="n.jpg"),
    ]
    out = io.StringIO()
    print_summary(records, out, width)
    lines = _lines(out.getvalue())[1:]
    assert all(len(line) <= width for line in lines), out.getvalue()
    assert lines[0].split() == ["picture", "tilt", "curve", "result"]
    assert any("…" in line and line.startswith(LONG_NAME[:5]) for line in lines)
    assert any(line.startswith("front.jpg") and "-" in line for line in lines)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_line_rewritten_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    term = FakeTerminal()
    progress = Progress(3, term, enabled=True)
    for k, name in enumerate(["a.jpg", LONG_NAME, "c.jpg"]):
        progress.show(k, name)
    progress.close()
    text = term.getvalue()
    assert "\n" not in text
    states = [s for s in text.split("\r") if s.strip()]
    assert [s.split()[1] for s in states] == ["1/3", "2/3", "3/3"]
    assert all(len(s) <= 59 for s in text.split("\r"))
    assert text.endswith("\r") and not text.split("\r")[-2].strip()  # cleared at the end


def test_no_progress_when_not_a_terminal() -> None:
    log = io.StringIO()
    progress = Progress(2, log, enabled=True)
    progress.show(0, "a.jpg")
    progress.close()
    assert log.getvalue() == ""


def test_inputs_are_named_relative_to_the_folder_and_skips_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "day2").mkdir(parents=True)
    for name in ("a.jpg", "day2/b.PNG", "walk.mp4", "notes.txt", ".hidden", "clip.MOV"):
        (folder / name).write_bytes(b"x")
    single = tmp_path / "single.gif"
    single.write_bytes(b"x")

    inputs = collect_inputs([str(folder)])
    assert [n for _, n in inputs.files] == ["a.jpg", "day2/b.PNG"]
    assert inputs.videos == ["clip.MOV", "walk.mp4"] and inputs.others == ["notes.txt"]

    both = collect_inputs([str(single), str(folder)])
    assert [n for _, n in both.files] == [str(single), f"{folder}/a.jpg", f"{folder}/day2/b.PNG"]

    out = io.StringIO()
    print_skipped(inputs, out, 80)
    said = out.getvalue()
    assert "Skipped 2 videos" in said and "clip.MOV, walk.mp4" in said
    assert "posture-cam check" in " ".join(said.split())  # where videos are measured
    assert "Skipped (not a picture): notes.txt." in said and ".hidden" not in said
