"""The ``posture-cam`` command line.

Exit codes (also in the README):
    0  every picture was read and could be measured
    1  at least one picture was read but could not be measured (a quality gate said why)
    2  usage error: bad arguments, or no picture files found
    3  no pose model is available (see ``posture-cam models fetch``)
    4  at least one file could not be read as an image (``check``: the video)
    5  the history file could not be used (``analyze --save``, ``history``)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from posture_cam.report.record import MeasureRecord, ResultRecord

__all__ = [
    "main",
    "build_parser",
    "iter_image_files",
    "EXIT_OK",
    "EXIT_NOT_MEASURABLE",
    "EXIT_USAGE",
    "EXIT_NO_MODEL",
    "EXIT_UNREADABLE",
]

EXIT_OK = 0
EXIT_NOT_MEASURABLE = 1
EXIT_USAGE = 2
EXIT_NO_MODEL = 3
EXIT_UNREADABLE = 4

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}
)


def build_parser() -> argparse.ArgumentParser:
    from posture_cam.pose.models import DEFAULT_VARIANT, VARIANTS

    from .batch import default_workers
    from .check import add_check_parser
    from .history import add_history_parser, add_save_arguments
    from .models import add_models_parser

    parser = argparse.ArgumentParser(
        prog="posture-cam",
        description="Side-view posture check from photos, on this computer only.",
        epilog="Exit codes: 0 all measured; 1 some pictures not measurable; 2 usage error; "
        "3 no pose model; 4 some files not readable as images; 5 history file unusable.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    an = sub.add_parser(
        "analyze",
        help="analyse photos (files or folders, searched recursively)",
        description="Analyse side-view photos. Folders are searched recursively for "
        + ", ".join(sorted(IMAGE_SUFFIXES))
        + " files.",
    )
    an.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    an.add_argument(
        "--variant",
        choices=VARIANTS,
        default=DEFAULT_VARIANT,
        help=f"pose model size (default {DEFAULT_VARIANT})",
    )
    an.add_argument(
        "--model",
        metavar="FILE",
        default=os.environ.get("POSTURE_CAM_MODEL"),
        help="use this pose_landmarker .task file (or set POSTURE_CAM_MODEL)",
    )
    an.add_argument("--json", metavar="OUT", help="write all results as JSON to OUT")
    an.add_argument("--csv", metavar="OUT", help="write one row per picture to OUT")
    an.add_argument(
        "--overlay",
        metavar="DIR",
        help="write annotated pictures (landmarks, outline, tangents) into DIR",
    )
    an.add_argument(
        "--exercises",
        type=int,
        default=3,
        metavar="N",
        help="how many exercises to list per picture (default 3)",
    )
    an.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="analyse in N processes, each with its own copy of the model (default: the "
        f"number of cores, {default_workers()} here)",
    )
    an.add_argument("--no-progress", action="store_true", help="no progress bar on folders")
    an.add_argument(
        "--verbose", action="store_true", help="show MediaPipe's own log lines (hidden by default)"
    )
    add_save_arguments(an)
    add_models_parser(sub)
    add_history_parser(sub)
    add_check_parser(sub)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def iter_image_files(paths: Sequence[str]) -> Iterator[Path]:
    """Files named on the command line, then picture files found in folders (sorted)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            yield p


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what native code (MediaPipe's LiteRT) writes to file descriptor 2.

    Its INFO/WARNING lines ("Sparsity tensors ...", "Creating LiteRT environment") mean
    nothing to a person checking their posture and no environment variable turns them off.
    Python's own errors are unaffected: they surface after the descriptor is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _Progress:
    """A one-line progress bar on stderr (line by line when stderr is not a terminal)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled and total > 0
        self.tty = stream.isatty()
        self.done = 0

    def step(self, label: str) -> None:
        if not self.enabled:
            return
        self.done += 1
        width = 30
        filled = round(width * self.done / self.total)
        bar = "#" * filled + "." * (width - filled)
        line = f"[{bar}] {self.done}/{self.total} {label}"
        if self.tty:
            self.stream.write("\r" + line[:100].ljust(100))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _print_record(r: ResultRecord, n_exercises: int, out: TextIO) -> None:
    from posture_cam.report.exercises import get_exercise
    from posture_cam.report.record import METRIC_LABELS

    a = r.assessment
    out.write(f"\n{r.file}\n")
    if not r.measurable:
        for f in r.blocking:
            out.write(f"  ✗ {f.message}\n    → {f.hint}\n")
        for p in a.problems:
            if not any(p.startswith(f.message) for f in r.findings):
                out.write(f"  ✗ {p}\n")
        return
    out.write(f"  Pattern: {a.title} (confidence {a.confidence:.0%})\n")
    out.write(f"  {a.summary}\n")
    for reason in a.reasons:
        out.write(f"    - {reason.text}\n")
    for p in a.problems:
        out.write(f"    ! {p}\n")
    out.write("  Measures (value ± typical error):\n")
    label_w = max(len(lbl) for lbl, _ in METRIC_LABELS.values())
    assert r.metrics is not None  # measurable
    for key, (label, unit) in METRIC_LABELS.items():
        m = r.metrics.measure(key)
        if m.value is None:
            text = "not measured"
        else:
            digits = 2 if key.endswith("_ratio") else 1
            text = f"{m.value:.{digits}f} ± {_number(m.plus_minus, digits)} {unit}".rstrip()
        out.write(f"    {label.ljust(label_w)}  {text}\n")
    for f in r.warnings:
        out.write(f"  note: {f.message} {f.hint}\n")
    keys = a.exercises[: max(n_exercises, 0)]
    if keys:
        out.write("  Exercises to try:\n")
        for k in keys:
            ex = get_exercise(k)
            out.write(f"    • {ex.name}: {ex.dose}. {ex.why}\n")


def _number(x: float | None, digits: int) -> str:
    return "?" if x is None else f"{x:.{digits}f}"


def _print_summary(records: list[ResultRecord], out: TextIO) -> None:
    name_w = max([4] + [len(r.file) for r in records])
    out.write(f"\n{'file'.ljust(name_w)}  {'tilt °':>11}  {'curve °':>11}  result\n")
    for r in records:

        def cell(m: MeasureRecord | None) -> str:
            if m is None or m.value is None:
                return "-"
            return f"{m.value:.0f} ± {_number(m.plus_minus, 0)}"

        if r.measurable:
            result = r.assessment.title
        else:
            result = r.findings[0].message if r.findings else "not measurable"
        out.write(
            f"{r.file.ljust(name_w)}  {cell(r.pelvic_tilt):>11}  "
            f"{cell(r.lumbar_lordosis):>11}  {result}\n"
        )


def _exit_code(records: list[ResultRecord], read_codes: frozenset[str]) -> int:
    if any(f.code in read_codes for r in records for f in r.blocking):
        return EXIT_UNREADABLE
    if any(not r.measurable for r in records):
        return EXIT_NOT_MEASURABLE
    return EXIT_OK


def _analyze(args: argparse.Namespace) -> int:
    from posture_cam.media.image_errors import ERROR_CODES
    from posture_cam.pose.models import ModelUnavailableError, resolve_model
    from posture_cam.report.record import CSV_COLUMNS, csv_row

    from .batch import BatchJob, analyze_files, default_workers

    files = list(iter_image_files(args.paths))
    if not files:
        print("No picture files found in: " + ", ".join(args.paths), file=sys.stderr)
        return EXIT_USAGE
    try:
        model = resolve_model(
            args.variant, args.model, progress=lambda m: print(m, file=sys.stderr)
        )
    except ModelUnavailableError as err:
        print(str(err), file=sys.stderr)
        return EXIT_NO_MODEL

    overlay_dir = Path(args.overlay) if args.overlay else None
    if overlay_dir is not None:
        overlay_dir.mkdir(parents=True, exist_ok=True)
    has_folder = any(Path(p).is_dir() for p in args.paths)
    progress = _Progress(len(files), sys.stderr, has_folder and not args.no_progress)
    job = BatchJob(str(model.path), model.variant, overlay_dir, quiet=not args.verbose)
    workers = args.workers if args.workers is not None else default_workers()
    records = analyze_files(files, job, workers=workers, on_done=lambda p: progress.step(p.name))

    for r in records:
        _print_record(r, args.exercises, sys.stdout)
    if len(records) > 1:
        _print_summary(records, sys.stdout)
    if args.json:
        payload = {
            "model": {"variant": model.variant, "sha256": model.sha256},
            "results": [r.to_dict() for r in records],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8")
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
            writer.writeheader()
            writer.writerows(csv_row(r) for r in records)
    code = _exit_code(records, ERROR_CODES)
    if args.save:
        from .history import save_analyzed

        code = save_analyzed(records, model.variant or args.variant, args) or code
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "analyze":
        return _analyze(args)
    if args.command == "history":
        from .history import run_history_command

        return run_history_command(args)
    if args.command == "check":
        from .check import run_check_command

        return run_check_command(args)
    from .models import run_models_command

    return run_models_command(args)
