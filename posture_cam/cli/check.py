"""``posture-cam check range|breathing VIDEO``: the guided checks on a recorded video.

A phone video is how many people will record these checks. The video is read with PyAV
(:mod:`posture_cam.media.video`), thinned to ``--fps`` frames a second, each frame goes
through the VIDEO-mode pose detector, and the recording is analysed as a whole
(:mod:`posture_cam.guided`). Exit codes follow ``posture-cam analyze``: 0 measured, 1 not
measurable (the message says why), 3 no pose model, 4 the video could not be read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from posture_cam.report.guided_text import HOW_TO, SOURCES

from .output import print_wrapped, terminal_width

__all__ = ["add_check_parser", "run_check_command", "MAX_DURATION_S"]

# Longer videos are analysed for their first three minutes only.
MAX_DURATION_S = 180.0

_DESCRIPTIONS = {
    "range": (
        "Pelvic-tilt range from a side-on video: relaxed, pelvis tipped forward, tucked "
        "under, relaxed again, each held still for about 3 seconds."
    ),
    "breathing": (
        "Breathing pattern from a side-on video of 30-60 s of quiet breathing, standing or "
        "lying on your back: rate, chest and belly movement, belly share."
    ),
}
_HOW_TO_KEY = {"range": "pelvic_tilt_range", "breathing": "breathing"}


def add_check_parser(sub: Any) -> None:
    """Register ``check range`` and ``check breathing`` on the top-level subparsers."""
    from posture_cam.pose.models import DEFAULT_VARIANT, VARIANTS

    ck = sub.add_parser(
        "check",
        help="guided checks on a video file: pelvic-tilt range, breathing",
        description="Guided checks on a video recorded side-on (MP4, MOV, ...).",
    )
    checks = ck.add_subparsers(dest="check", required=True)
    for name, text in _DESCRIPTIONS.items():
        steps = "\n".join(f"  - {s}" for s in HOW_TO[_HOW_TO_KEY[name]])
        p = checks.add_parser(
            name,
            help=text.split(":")[0],
            description=f"{text}\n\nHow to record it:\n{steps}",
            epilog="Exit codes: 0 measured; 1 not measurable (the message says why); "
            "2 usage error; 3 no pose model; 4 the video could not be read.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("video", metavar="VIDEO", help="the video file")
        p.add_argument(
            "--variant",
            choices=VARIANTS,
            default=DEFAULT_VARIANT,
            help=f"pose model size (default {DEFAULT_VARIANT})",
        )
        p.add_argument(
            "--model",
            metavar="FILE",
            default=os.environ.get("POSTURE_CAM_MODEL"),
            help="use this pose_landmarker .task file (or set POSTURE_CAM_MODEL)",
        )
        p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT")
        p.add_argument(
            "--fps",
            type=_positive_float,
            default=15.0,
            metavar="N",
            help="frames analysed per second of video (default 15)",
        )
        p.add_argument(
            "--verbose", action="store_true", help="show MediaPipe's own log lines (hidden)"
        )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _finding_lines(findings: Any, out: TextIO, width: int) -> None:
    for f in findings:
        mark = "✗" if f.severity == "block" else "note:"
        print_wrapped(out, f.message, width, indent=f"  {mark} ", more="    ")
        if f.hint:
            print_wrapped(out, f.hint, width, indent="    → ", more="      ")


def _say(text: str) -> None:
    """A message for the person at the terminal (stderr), wrapped like ``analyze``'s."""
    print_wrapped(sys.stderr, text.strip(), terminal_width())


_POSITION_NAMES = {
    "relaxed": "relaxed",
    "forward": "tipped forward",
    "tucked": "tucked under",
    "relaxed_again": "relaxed again",
}


def _print_range(run: Any, name: str, variant: str, out: TextIO, width: int) -> None:
    from posture_cam.report.guided_text import load_bench_figures, range_interpretation

    t = run.tally
    out.write("\n")
    head = f"{name}: pelvic-tilt range ({t.n_measured} of {t.n_frames} frames measured)"
    print_wrapped(out, head, width, more="  ")
    r = run.outcome.result
    if r is None:
        _finding_lines(run.findings, out, width)
        if run.outcome.holds:
            out.write("  Still holds found:\n")
            for h in run.outcome.holds:
                out.write(
                    f"    {h.start_ms / 1000:5.1f}-{h.end_ms / 1000:5.1f} s  tilt "
                    f"{h.tilt_deg.value:5.1f}°  curve {h.lordosis_deg.value:5.1f}°\n"
                )
        return
    out.write(f"  {'hold':<15} {'time':>11}  {'pelvic tilt':>13}  {'lower-back curve':>16}\n")
    for h in r.holds:
        assert h.position is not None
        out.write(
            f"  {_POSITION_NAMES[h.position]:<15} {h.start_ms / 1000:4.1f}-{h.end_ms / 1000:4.1f} s"
            f"  {h.tilt_deg.value:6.1f} ± {h.tilt_deg.plus_minus:.1f}°"
            f"  {h.lordosis_deg.value:9.1f} ± {h.lordosis_deg.plus_minus:.1f}°\n"
        )
    rows = (
        ("Tipped forward from relaxed", r.forward_tilt_deg, r.forward_lordosis_deg),
        ("Tucked under from relaxed", r.backward_tilt_deg, r.backward_lordosis_deg),
        ("Whole range", r.total_tilt_deg, r.total_lordosis_deg),
        (
            "Relaxed again - relaxed",
            r.relaxed_difference_tilt_deg,
            r.relaxed_difference_lordosis_deg,
        ),
    )
    out.write(f"  {'':<30} {'tilt':>13}  {'curve':>13}\n")
    for label, tilt, lord in rows:
        out.write(
            f"  {label:<30} {tilt.value:6.1f} ± {tilt.plus_minus:.1f}°"
            f"  {lord.value:6.1f} ± {lord.plus_minus:.1f}°\n"
        )
    if r.relaxed_position_pct is not None:
        p = r.relaxed_position_pct
        print_wrapped(
            out,
            f"Relaxed stance within your range: {p.value:.0f} ± {p.plus_minus:.0f} % "
            "(0 = fully tucked under, 100 = fully tipped forward)",
            width,
            indent="  ",
        )
    _finding_lines(r.findings, out, width)
    out.write("\n")
    for line in range_interpretation(r, load_bench_figures(variant)):
        print_wrapped(out, line, width, indent="  ")


def _print_breathing(run: Any, name: str, variant: str, out: TextIO, width: int) -> None:
    from posture_cam.report.guided_text import breathing_interpretation, load_bench_figures

    t = run.tally
    out.write("\n")
    head = f"{name}: breathing ({t.n_measured} of {t.n_frames} frames measured)"
    print_wrapped(out, head, width, more="  ")
    r = run.outcome.result
    if r is None:
        _finding_lines(run.findings, out, width)
        return
    rows = (
        (
            "Breathing rate",
            f"{r.rate_per_min.value:.1f} ± {r.rate_per_min.plus_minus:.1f} a minute",
        ),
        (
            "Chest movement",
            f"{r.chest_movement_px.value:.1f} ± {r.chest_movement_px.plus_minus:.1f} px "
            f"({r.chest_movement_pct.value:.2f} % of trunk length)",
        ),
        (
            "Belly movement",
            f"{r.belly_movement_px.value:.1f} ± {r.belly_movement_px.plus_minus:.1f} px "
            f"({r.belly_movement_pct.value:.2f} % of trunk length)",
        ),
        (
            "Belly share",
            f"{r.belly_share_pct.value:.0f} ± {r.belly_share_pct.plus_minus:.0f} points",
        ),
        (
            "Smallest detectable movement",
            f"{r.noise_floor_px:.2f} px ({r.noise_floor_pct:.2f} %)",
        ),
        (
            "Breaths counted",
            f"{r.n_breaths}"
            + (f", durations varying by {r.breath_cv:.0%}" if r.breath_cv is not None else ""),
        ),
    )
    for label, text in rows:
        print_wrapped(out, f"{label:<30} {text}", width, indent="  ", more=" " * 33)
    _finding_lines(r.findings, out, width)
    out.write("\n")
    for line in breathing_interpretation(r, load_bench_figures(variant)):
        print_wrapped(out, line, width, indent="  ")


def run_check_command(args: argparse.Namespace) -> int:
    """Run ``posture-cam check range|breathing``; returns the exit code."""
    from posture_cam.guided import range_config, run_breathing_check, run_range_check
    from posture_cam.media.video import VideoLoadError, iter_video_frames, probe_video
    from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.models import ModelUnavailableError, resolve_model

    from .main import (
        EXIT_NO_MODEL,
        EXIT_NOT_MEASURABLE,
        EXIT_OK,
        EXIT_UNREADABLE,
        _native_stderr_silenced,
    )

    path = Path(args.video)
    try:
        info = probe_video(path)
    except VideoLoadError as err:
        _say(f"{err.message} {err.hint}")
        return EXIT_UNREADABLE
    try:
        model = resolve_model(args.variant, args.model, progress=_say)
    except ModelUnavailableError as err:
        _say(str(err))
        return EXIT_NO_MODEL
    if info.duration_s is not None and info.duration_s > MAX_DURATION_S:
        _say(
            f"note: the video is {info.duration_s:.0f} s long; only its first "
            f"{MAX_DURATION_S:.0f} s are analysed."
        )
    quiet = contextlib.nullcontext if args.verbose else _native_stderr_silenced
    frames = iter_video_frames(
        path,
        max_fps=args.fps,
        max_side_px=INFERENCE_MAX_SIDE_PX,
        max_duration_s=MAX_DURATION_S,
    )
    opts = DetectorOptions(model_path=model.path, mode="video", variant=model.variant)
    try:
        with quiet():
            detector = PoseDetector(opts)
        try:
            with quiet():
                if args.check == "range":
                    config = range_config(model.variant)
                    run: Any = run_range_check(
                        frames, detector, variant=model.variant, config=config
                    )
                else:
                    run = run_breathing_check(frames, detector)
        finally:
            with quiet():
                detector.close()
    except VideoLoadError as err:
        _say(f"{err.message} {err.hint}")
        return EXIT_UNREADABLE
    variant = model.variant or args.variant
    keys: tuple[str, ...]
    if args.check == "range":
        _print_range(run, path.name, variant, sys.stdout, terminal_width())
        keys = ("levine_whittle_1996", "heino_1990", "youdas_1996", "preece_2021", "article")
    else:
        _print_breathing(run, path.name, variant, sys.stdout, terminal_width())
        keys = ("kaneko_horie_2012", "article")
    if args.json:
        payload = {
            "file": str(path),
            "model": {"variant": model.variant, "sha256": model.sha256},
            "video": {
                "width": info.width,
                "height": info.height,
                "fps": info.fps,
                "duration_s": info.duration_s,
                "rotation_deg": info.rotation_deg,
            },
            **run.to_record(),
            "interpretation": _interpretation(run, variant),
            "sources": [SOURCES[k] for k in keys],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return EXIT_OK if run.measured else EXIT_NOT_MEASURABLE


def _interpretation(run: Any, variant: str) -> list[str]:
    from posture_cam.measure.tilt_range import RangeResult
    from posture_cam.report.guided_text import (
        breathing_interpretation,
        load_bench_figures,
        range_interpretation,
    )

    r = run.outcome.result
    if r is None:
        return []
    bench = load_bench_figures(variant)
    if isinstance(r, RangeResult):
        return list(range_interpretation(r, bench))
    return list(breathing_interpretation(r, bench))
