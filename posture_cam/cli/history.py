"""The ``history`` subcommand and ``analyze --save``: the saved checks from the command line.

``posture_cam.cli.main`` registers them with :func:`add_history_parser` and
:func:`add_save_arguments` and runs them with :func:`run_history_command` and
:func:`save_analyzed`::

    posture-cam history list [--since DATE] [--until DATE] [--label L]
                             [--baseline-n N | --baseline-from DATE --baseline-to DATE]
    posture-cam history export [-o FILE]
    posture-cam history delete ID | --all --yes
    posture-cam analyze PHOTO... --save [--note TEXT] [--label L]

Every command takes ``--db FILE``; by default the history is
``$POSTURE_CAM_DATA_DIR/history.sqlite3``, else ``$XDG_DATA_HOME/posture_cam/history.sqlite3``,
else ``~/.local/share/posture_cam/history.sqlite3``. Times are shown in local time.

Exit codes: 0 done; 1 no check with that id; 2 usage error; 5 the history file cannot be
used (not a database, from a newer posture_cam, no permission).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TextIO

from posture_cam.history.baseline import (
    DEFAULT_BASELINE_N,
    METRIC_NAMES,
    TRACKED,
    BaselineReport,
    assess_history,
)
from posture_cam.history.store import Check, HistoryError, HistoryStore, default_history_path
from posture_cam.report.record import ResultRecord

from .output import print_wrapped, terminal_width

__all__ = [
    "EXIT_HISTORY",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_history_parser",
    "add_save_arguments",
    "format_history",
    "parse_when",
    "run_history_command",
    "save_analyzed",
]

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_HISTORY = 5

_DB_HELP = (
    "history database file (default: $POSTURE_CAM_DATA_DIR/history.sqlite3, else "
    "$XDG_DATA_HOME/posture_cam/history.sqlite3, else "
    "~/.local/share/posture_cam/history.sqlite3)"
)


def parse_when(text: str, *, end_of_day: bool = False) -> datetime:
    """A command-line date or time as a timezone-aware datetime.

    ``YYYY-MM-DD`` is local midnight at the start of that day, or of the next day with
    ``end_of_day`` (so an "until" date includes the whole day). A full ISO time without a
    zone is local time.

    Raises:
        argparse.ArgumentTypeError: not a date or time.
    """
    try:
        if len(text.strip()) == 10:
            d = date.fromisoformat(text.strip())
            if end_of_day:
                d += timedelta(days=1)
            return datetime.combine(d, time()).astimezone()
        t = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM)"
        ) from exc
    return t if t.tzinfo is not None else t.astimezone()


def _until(text: str) -> datetime:
    return parse_when(text, end_of_day=True)


def add_history_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``history`` subcommand on an argparse subparsers object.

    Its namespace gets ``command="history"``, ``history_command`` (``list``, ``export`` or
    ``delete``) and ``func=run_history_command``.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="FILE", help=_DB_HELP)
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "history",
        help="list, export or delete your saved checks",
        description="Your saved checks, kept on this computer only (numbers, no pictures). "
        "Each check is compared with your own baseline: a change counts as real only when "
        "it is larger than two checks of an unchanged posture can differ by.",
    )
    actions = parser.add_subparsers(dest="history_command", metavar="{list,export,delete}")
    actions.required = True

    ls = actions.add_parser(
        "list", parents=[common], help="show checks with the change from your baseline"
    )
    ls.add_argument("--since", type=parse_when, metavar="DATE", help="from this date")
    ls.add_argument("--until", type=_until, metavar="DATE", help="up to and including DATE")
    ls.add_argument("--label", help="only checks with this label")
    ls.add_argument(
        "--baseline-n",
        type=int,
        default=DEFAULT_BASELINE_N,
        metavar="N",
        help=f"baseline = median of the first N good checks (default {DEFAULT_BASELINE_N})",
    )
    ls.add_argument(
        "--baseline-from",
        type=parse_when,
        metavar="DATE",
        help="baseline = median of the good checks from DATE ...",
    )
    ls.add_argument(
        "--baseline-to", type=_until, metavar="DATE", help="... up to and including DATE"
    )

    ex = actions.add_parser("export", parents=[common], help="write every check as CSV")
    ex.add_argument(
        "-o",
        "--out",
        default="-",
        metavar="FILE",
        help="CSV file to write (default: standard output)",
    )

    de = actions.add_parser("delete", parents=[common], help="delete one check, or all")
    de.add_argument("id", nargs="?", type=int, help="the check's id (see `history list`)")
    de.add_argument("--all", action="store_true", help="delete every check")
    de.add_argument("--yes", action="store_true", help="confirm --all")
    parser.set_defaults(command="history", func=run_history_command)
    return parser


def add_save_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--save``, ``--note``, ``--label`` and ``--db`` to the ``analyze`` parser."""
    g = parser.add_argument_group("history")
    g.add_argument(
        "--save",
        action="store_true",
        help="save each measurable photo's numbers to your history (no pictures)",
    )
    g.add_argument("--note", metavar="TEXT", help="a note saved with the checks (with --save)")
    g.add_argument(
        "--label", metavar="L", help="a label saved with the checks, e.g. 'morning' (with --save)"
    )
    g.add_argument("--db", metavar="FILE", help=_DB_HELP)


def _open(args: argparse.Namespace) -> HistoryStore:
    return HistoryStore(getattr(args, "db", None) or None)


def run_history_command(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run ``history list|export|delete``; errors go to standard error.

    Returns:
        0 done, 1 no such check, 2 usage error, 5 the history cannot be used.
    """
    stream = out if out is not None else sys.stdout
    action = getattr(args, "history_command", None)
    if action == "delete":
        if args.all == (args.id is not None):
            print("posture-cam history delete: give a check ID, or --all --yes", file=sys.stderr)
            return EXIT_USAGE
        if args.all and not args.yes:
            print(
                "posture-cam history delete --all: this deletes every saved check; "
                "add --yes to confirm",
                file=sys.stderr,
            )
            return EXIT_USAGE
    if action == "list" and args.baseline_n < 1:
        print("posture-cam history list: --baseline-n must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if action not in ("list", "export", "delete"):
        print("posture-cam history: choose 'list', 'export' or 'delete'", file=sys.stderr)
        return EXIT_USAGE
    try:
        with _open(args) as store:
            if action == "list":
                return _list(store, args, stream)
            if action == "export":
                return _export(store, args, stream)
            return _delete(store, args, stream)
    except HistoryError as exc:
        print(f"posture-cam: {exc}", file=sys.stderr)
        return EXIT_HISTORY
    except OSError as exc:
        print(f"posture-cam: {exc}", file=sys.stderr)
        return EXIT_HISTORY


def _export(store: HistoryStore, args: argparse.Namespace, stream: TextIO) -> int:
    n = store.export_csv(stream if args.out == "-" else args.out)
    where = "standard output" if args.out == "-" else args.out
    print(f"Exported {n} check{'s' if n != 1 else ''} to {where}.", file=sys.stderr)
    return EXIT_OK


def _delete(store: HistoryStore, args: argparse.Namespace, stream: TextIO) -> int:
    if args.all:
        n = store.delete_all()
        print(f"Deleted all {n} saved check{'s' if n != 1 else ''} from {store.path}.", file=stream)
        return EXIT_OK
    if not store.delete(args.id):
        print(f"posture-cam: no check with id {args.id} in {store.path}", file=sys.stderr)
        return EXIT_NOT_FOUND
    print(f"Deleted check {args.id}.", file=stream)
    return EXIT_OK


def _list(store: HistoryStore, args: argparse.Namespace, stream: TextIO) -> int:
    checks = store.list()
    report = assess_history(
        checks, n=args.baseline_n, since=args.baseline_from, until=args.baseline_to
    )
    shown = [
        c
        for c in checks
        if (args.since is None or c.time >= args.since)
        and (args.until is None or c.time < args.until)
        and (args.label is None or c.label == args.label)
    ]
    stream.write(format_history(store.path, checks, shown, report, baseline_n=args.baseline_n))
    return EXIT_OK


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def _cell(c: Check, metric: str) -> str:
    m = c.metric(metric)
    if not c.good or m is None:
        return "-"
    return f"{m.value:.1f} ± {m.plus_minus:.1f}"


def _why_not_good(c: Check) -> str:
    if c.measurable:
        return "not used: outline unclear (" + ", ".join(c.metric_flags) + ")"
    codes = [f.code for f in c.record.blocking]
    return "not measured: " + (", ".join(codes) or "no result")


def _baseline_lines(report: BaselineReport, baseline_n: int) -> list[str]:
    b = report.baseline
    if b is None:
        if report.needed:
            more = report.needed
            return [
                f"No baseline yet: {more} more good check{'s' if more != 1 else ''} "
                f"needed (the baseline is the median of the first {baseline_n})."
            ]
        return ["No baseline: no good check in the chosen range."]
    values = ", ".join(f"{METRIC_NAMES[m]} {b.values[m]:.1f}°" for m in TRACKED)
    sdcs = ", ".join(f"{METRIC_NAMES[m]} ±{report.sdc(m):.1f}°" for m in TRACKED)
    return [
        f"Baseline: {b.describe()}: {values}.",
        f"Smallest detectable change (95 %): {sdcs}; smaller changes are within noise.",
    ]


def format_history(
    path: object,
    checks: Sequence[Check],
    shown: Sequence[Check],
    report: BaselineReport,
    *,
    baseline_n: int = DEFAULT_BASELINE_N,
) -> str:
    """The text of ``history list``: header, baseline, one row per shown check."""
    if not checks:
        return (
            f"No checks saved yet in {path}.\n"
            "Save one with `posture-cam analyze PHOTO --save` (or from the app).\n"
        )
    offset = datetime.now().astimezone().strftime("%z")
    lines = [
        f"History: {path} ({len(checks)} check{'s' if len(checks) != 1 else ''}; "
        f"times are local, UTC{offset[:3]}:{offset[3:]})",
        *_baseline_lines(report, baseline_n),
        "",
    ]
    base_ids = set(report.baseline.check_ids) if report.baseline is not None else set()
    rows: list[tuple[str, ...]] = [
        (
            "id",
            "date",
            "source",
            "pattern",
            "tilt °",
            "curve °",
            "tilt vs baseline",
            "curve vs baseline",
            "label",
        )
    ]
    notes: dict[int, str] = {}
    for c in shown:
        changes = report.changes.get(c.id) or {}
        cells = []
        for metric in TRACKED:
            if not c.good:
                cells.append(_why_not_good(c) if metric == TRACKED[0] else "")
            elif c.id in base_ids:
                cells.append("(baseline)")
            elif metric in changes:
                cells.append(changes[metric].short_text())
            else:
                cells.append("-")
        rows.append(
            (
                str(c.id),
                _local(c.time),
                c.source,
                c.pattern,
                _cell(c, TRACKED[0]),
                _cell(c, TRACKED[1]),
                cells[0],
                cells[1],
                c.label or "",
            )
        )
        if c.note:
            notes[len(rows) - 1] = c.note
    if not any(r[-1] for r in rows[1:]):
        rows = [r[:-1] for r in rows]
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    for i, r in enumerate(rows):
        cells = [r[0].rjust(widths[0])] + [
            v.ljust(w) for v, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if i in notes:
            lines.append(" " * (widths[0] + 2) + f"note: {notes[i]}")
    if len(shown) < len(checks):
        lines.append(f"({len(checks) - len(shown)} more not shown by the filters)")
    return "\n".join(lines) + "\n"


def save_analyzed(
    records: Sequence[ResultRecord],
    variant: str,
    args: argparse.Namespace,
    out: TextIO | None = None,
) -> int:
    """``analyze --save``: save each measurable record and show its change from baseline.

    Returns:
        0, or 5 when the history cannot be used (the error is printed).
    """
    stream = out if out is not None else sys.stdout
    path = getattr(args, "db", None) or default_history_path()
    saved: list[int] = []
    try:
        with HistoryStore(path) as store:
            now = datetime.now(UTC)
            for r in records:
                if not r.measurable:
                    print(f"Not saved to history (not measurable): {r.file}", file=stream)
                    continue
                saved.append(
                    store.add(
                        r,
                        source="photo",
                        variant=variant,
                        when=now,
                        note=args.note,
                        label=args.label,
                    )
                )
            checks = store.list() if saved else []
    except HistoryError as exc:
        print(f"posture-cam: not saved to history: {exc}", file=sys.stderr)
        return EXIT_HISTORY
    if not saved:
        return EXIT_OK
    ids = ", ".join(f"#{i}" for i in saved)
    width = terminal_width()
    stream.write("\n")
    print_wrapped(
        stream,
        f"Saved {len(saved)} check{'s' if len(saved) != 1 else ''} to your history "
        f"({path}): {ids}.",
        width,
    )
    report = assess_history(checks)
    for line in _baseline_lines(report, DEFAULT_BASELINE_N):
        print_wrapped(stream, line, width)
    for cid in saved:
        changes = report.changes.get(cid)
        if not changes or report.baseline is None or cid in report.baseline.check_ids:
            continue
        print(f"  #{cid} compared with your baseline:", file=stream)
        for ch in changes.values():
            print_wrapped(stream, ch.text(), width, "    ")
    return EXIT_OK
