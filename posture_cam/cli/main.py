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
from typing import TYPE_CHECKING

from .output import (
    IMAGE_SUFFIXES,
    Progress,
    collect_inputs,
    print_record,
    print_skipped,
    print_summary,
    terminal_width,
)

if TYPE_CHECKING:
    from posture_cam.report.record import ResultRecord

__all__ = [
    "main",
    "build_parser",
    "IMAGE_SUFFIXES",
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
        help="use N cores: N processes, each with its own copy of the model (default: the "
        f"number of cores, {default_workers()} here)",
    )
    an.add_argument(
        "--no-progress", action="store_true", help="no progress line (shown on a terminal)"
    )
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

    width = terminal_width()
    inputs = collect_inputs(args.paths)
    print_skipped(inputs, sys.stderr, width)
    files = inputs.files
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
    progress = Progress(len(files), sys.stderr, has_folder and not args.no_progress)
    job = BatchJob(str(model.path), model.variant, overlay_dir, quiet=not args.verbose)
    workers = args.workers if args.workers is not None else default_workers()

    def done(k: int) -> None:  # the results come in order: the next one is under way
        if k + 1 < len(files):
            progress.show(k + 1, files[k + 1][1])

    progress.show(0, files[0][1])
    try:
        records = analyze_files(files, job, workers=workers, on_done=done)
    finally:
        progress.close()

    for r in records:
        print_record(r, args.exercises, sys.stdout, width)
    if len(records) > 1:
        print_summary(records, sys.stdout, width)
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
