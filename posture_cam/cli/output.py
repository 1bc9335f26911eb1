"""What ``posture-cam analyze`` prints: results wrapped to the terminal, a summary table, one
progress line, and which files in the folders were left out.

Lines never run past the terminal's width (``$COLUMNS``, else the terminal's own, else 80
when the output goes to a pipe or a file) and words are never split. Pictures found in a
folder are named relative to that folder. Confidence reads as in the app
(:func:`posture_cam.report.wording.confidence_text`).
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from posture_cam.report.record import MeasureRecord, ResultRecord

__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Inputs",
    "Progress",
    "collect_inputs",
    "print_record",
    "print_skipped",
    "print_summary",
    "print_wrapped",
    "terminal_width",
]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}
)
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".wmv", ".mpg"})

_MIN_WIDTH = 40
_NAMED_OTHERS = 5


def terminal_width(default: int = 80) -> int:
    """Columns to fit: ``$COLUMNS``, the terminal's, or ``default`` (pipes and files)."""
    return max(shutil.get_terminal_size((default, 24)).columns, _MIN_WIDTH)


@dataclass
class Inputs:
    """The pictures to analyse, each with the name to print, and what the folders also held.

    Attributes:
        files: (path, name) pairs: files named on the command line keep the name as typed;
            pictures found in a folder are named relative to it (prefixed by the folder as
            typed when several paths were given).
        videos: names of the video files found in folders (not analysed).
        others: names of the other files in the folders that are not pictures (hidden
            files left out).
    """

    files: list[tuple[Path, str]] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


def collect_inputs(paths: Sequence[str]) -> Inputs:
    """Files named on the command line, then the pictures found in folders (sorted)."""
    found = Inputs()
    for raw in paths:
        folder = Path(raw)
        if not folder.is_dir():
            found.files.append((folder, raw))
            continue
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = f.relative_to(folder).as_posix()
            name = rel if len(paths) == 1 else (folder / rel).as_posix()
            suffix = f.suffix.lower()
            if suffix in IMAGE_SUFFIXES:
                found.files.append((f, name))
            elif suffix in VIDEO_SUFFIXES:
                found.videos.append(name)
            elif not f.name.startswith("."):
                found.others.append(name)
    return found


def print_skipped(inputs: Inputs, out: TextIO, width: int) -> None:
    """Name the videos and other files the folders held that were left out (a count when
    there are many other files)."""
    if inputs.videos:
        n = len(inputs.videos)
        text = (
            f"Skipped {n} video{'s' if n != 1 else ''} (analyze reads photos; "
            "'posture-cam check range|breathing VIDEO' measures a guided check on a video): "
            + ", ".join(inputs.videos)
            + "."
        )
        print_wrapped(out, text, width)
    n = len(inputs.others)
    if 0 < n <= _NAMED_OTHERS:
        print_wrapped(out, f"Skipped (not a picture): {', '.join(inputs.others)}.", width)
    elif n:
        print_wrapped(out, f"Skipped {n} other files that are not pictures.", width)


def print_wrapped(
    out: TextIO, text: str, width: int, indent: str = "", more: str | None = None
) -> None:
    """``text`` wrapped to ``width`` at spaces, the first line after ``indent``, the others
    after ``more`` (default: ``indent``)."""
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if more is None else more,
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines or [indent.rstrip()]:
        out.write(line + "\n")


class Progress:
    """One progress line on a terminal, rewritten in place and cleared at the end; nothing
    when the stream is not a terminal (a log file has no use for it)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream = total, stream
        self.enabled = enabled and total > 0 and stream.isatty()
        self.width = _stream_width(stream) if self.enabled else 0

    def show(self, index: int, label: str) -> None:
        """Say that picture ``index`` (from 0), called ``label``, is being analysed."""
        if not self.enabled:
            return
        bar_w = max(min(30, self.width // 4), 5)
        filled = round(bar_w * index / self.total)
        line = f"[{'#' * filled}{'.' * (bar_w - filled)}] {index + 1}/{self.total} {label}"
        # One column short of the width: a full line makes some terminals wrap.
        self.stream.write("\r" + _fit(line, self.width - 1).ljust(self.width - 1))
        self.stream.flush()

    def close(self) -> None:
        """Clear the line."""
        if self.enabled:
            self.stream.write("\r" + " " * (self.width - 1) + "\r")
            self.stream.flush()


def _stream_width(stream: TextIO) -> int:
    try:
        return max(os.get_terminal_size(stream.fileno()).columns, _MIN_WIDTH)
    except (OSError, ValueError):
        return terminal_width()


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` with "…" in the middle (the ends of a name say most)."""
    if len(text) <= width:
        return text
    keep = max(width - 1, 2)
    head = keep // 2
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def print_record(r: ResultRecord, n_exercises: int, out: TextIO, width: int) -> None:
    """One picture's result: the pattern and why, every measure ±, exercises; or what is
    wrong with the picture and how to take a better one."""
    from posture_cam.report.exercises import get_exercise
    from posture_cam.report.record import METRIC_LABELS
    from posture_cam.report.wording import confidence_text

    a = r.assessment
    out.write("\n")
    # A long path has no spaces to wrap at: it is broken wherever the width ends.
    out.write("\n".join(textwrap.wrap(r.file, width=width)) + "\n")
    if not r.measurable:
        for f in r.blocking:
            print_wrapped(out, f.message, width, "  ✗ ", "    ")
            print_wrapped(out, f.hint, width, "    → ", "      ")
        for p in a.problems:
            if not any(p.startswith(f.message) for f in r.findings):
                print_wrapped(out, p, width, "  ✗ ", "    ")
        return
    print_wrapped(out, f"Pattern: {a.title} (confidence {confidence_text(r)})", width, "  ", "    ")
    print_wrapped(out, a.summary, width, "  ", "  ")
    for reason in a.reasons:
        print_wrapped(out, reason.text, width, "    - ", "      ")
    for p in a.problems:
        print_wrapped(out, p, width, "    ! ", "      ")
    out.write("  Measures (value ± typical error):\n")
    assert r.metrics is not None  # measurable
    rows = []
    for key, (label, unit) in METRIC_LABELS.items():
        m = r.metrics.measure(key)
        if m.value is None:
            text = "not measured"
        else:
            digits = 2 if key.endswith("_ratio") else 1
            text = _value_text(m, digits, unit)
        rows.append((label, text))
    label_w = max(len(lbl) for lbl, _ in rows)
    value_w = max(len(t) for _, t in rows)
    if 4 + label_w + 2 + value_w > width:
        label_w = max(width - 4 - 2 - value_w, 12)
    for label, text in rows:
        out.write(f"    {_fit(label, label_w).ljust(label_w)}  {text}\n")
    for f in r.warnings:
        print_wrapped(out, f"{f.message} {f.hint}", width, "  note: ", "        ")
    keys = a.exercises[: max(n_exercises, 0)]
    if keys:
        out.write("  Exercises to try:\n")
        for k in keys:
            ex = get_exercise(k)
            print_wrapped(out, f"{ex.name}: {ex.dose}. {ex.why}", width, "    • ", "      ")


def _value_text(m: MeasureRecord, digits: int, unit: str) -> str:
    value = f"{m.value:.{digits}f}"
    pm = "?" if m.plus_minus is None else f"{m.plus_minus:.{digits}f}"
    if unit == "°":
        return f"{value}° ± {pm}°"
    if unit == "% height":
        return f"{value} ± {pm} % of height"
    return f"{value} ± {pm}".rstrip()


def print_summary(records: Sequence[ResultRecord], out: TextIO, width: int) -> None:
    """A table: picture, tilt ±, curve ±, the result (wrapped under its own column)."""
    num_w = 9
    result_min = 24
    name_w = max([7] + [len(r.file) for r in records])
    name_w = min(name_w, max(width - 2 * (num_w + 2) - 2 - result_min, 12))
    result_x = name_w + 2 * (num_w + 2) + 2
    result_w = max(width - result_x, 12)
    out.write("\n")
    out.write(
        f"{'picture'.ljust(name_w)}  {'tilt':>{num_w}}  {'curve':>{num_w}}  result\n".rstrip()
        + "\n"
    )

    def cell(m: MeasureRecord | None) -> str:
        if m is None or m.value is None:
            return "-"
        pm = "?" if m.plus_minus is None else f"{m.plus_minus:.0f}"
        return f"{m.value:.0f}° ± {pm}°"

    for r in records:
        if r.measurable:
            result = r.assessment.title
        else:
            result = r.findings[0].message if r.findings else "not measurable"
        lines = textwrap.wrap(
            result, width=result_w, break_long_words=False, break_on_hyphens=False
        ) or [""]
        head = f"{_fit(r.file, name_w).ljust(name_w)}  {cell(r.pelvic_tilt):>{num_w}}  "
        head += f"{cell(r.lumbar_lordosis):>{num_w}}  "
        out.write((head + lines[0]).rstrip() + "\n")
        for more in lines[1:]:
            out.write(" " * result_x + more + "\n")
