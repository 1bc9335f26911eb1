"""The guided checks in the app: pelvic-tilt range, hip-flexor test and breathing.

Each check shows its safe, step-by-step instructions, takes what it measures from (a
recorded video for the range and breathing checks, a photo per side for the hip-flexor
test), runs the same cores as ``posture-cam check`` (:mod:`posture_cam.guided`) and shows a
result card with each number's ``±``, the method's measured error on test material and what
the numbers suggest, with sources. "Keep in report" adds it to the session like any check.

Results are remembered per browser session by check, model and the file's SHA-256, so a
rerun (a click on "Keep") does not run the pose model again.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from posture_cam.measure.gates import Finding
from posture_cam.report.guided_record import (
    GUIDED_TITLES,
    GuidedCheck,
    GuidedKind,
    breathing_check,
    range_check,
    thomas_check,
)
from posture_cam.report.guided_text import HOW_TO, NOT_A_DIAGNOSIS, load_bench_figures
from posture_cam.ui import state

from .components import obtain_model
from .photo_page import UPLOAD_TYPES

__all__ = [
    "GUIDED_KEYS",
    "MODE_CAMERA",
    "MODE_PHOTOS",
    "MODE_VIDEO",
    "VIDEO_TYPES",
    "VIDEO_FPS",
    "GuidedOutcome",
    "analyze_video",
    "analyze_thomas_photo",
    "render_guided_check",
    "render_guided_result",
]

log = logging.getLogger(__name__)

GUIDED_KEYS: dict[str, GuidedKind] = {title: kind for kind, title in GUIDED_TITLES.items()}
"""Title shown -> check."""

VIDEO_TYPES = ("mp4", "mov", "m4v", "webm", "mkv", "avi")
"""What the video uploader takes (what a phone or a camera saves)."""

VIDEO_FPS = 10.0
"""Frames analysed per second of an uploaded video: enough for 3-s holds and for breaths
(a few a minute), and it keeps a minute of video to a few hundred pose-model runs."""

# Analysed uploads, per browser session: (check, model, SHA-256) -> GuidedOutcome.
_KEY_CACHE = "posture_cam.guided_cache"
# Entry id of the guided check "Keep" added last, per check.
_KEY_KEPT = "posture_cam.guided_kept"


@dataclass(frozen=True)
class GuidedOutcome:
    """An analysed upload: the check when measured, else why not; and the frames' tally."""

    check: GuidedCheck | None
    findings: tuple[Finding, ...]
    frames_text: str = ""


def _frames_text(tally: Any) -> str:
    return f"{tally.n_measured} of {tally.n_frames} frames could be measured."


def analyze_video(kind: GuidedKind, data: bytes, name: str, variant: str) -> GuidedOutcome:
    """Run the range or breathing check on an uploaded video, as ``posture-cam check`` does.

    The video is written to a temporary file (PyAV reads files) that is deleted at once.
    Raises :class:`posture_cam.media.video.VideoLoadError` when it cannot be read.
    """
    from posture_cam.cli.check import MAX_DURATION_S
    from posture_cam.guided import range_config, run_breathing_check, run_range_check
    from posture_cam.media.video import iter_video_frames
    from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.models import resolve_model

    model = resolve_model(variant, allow_network=False)
    bench = load_bench_figures(variant)
    suffix = Path(name).suffix or ".mp4"
    with tempfile.TemporaryDirectory(prefix="posture_cam_") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        frames = iter_video_frames(
            path,
            max_fps=VIDEO_FPS,
            max_side_px=INFERENCE_MAX_SIDE_PX,
            max_duration_s=MAX_DURATION_S,
        )
        opts = DetectorOptions(model_path=model.path, mode="video", variant=variant)
        with PoseDetector(opts) as detector:
            check: GuidedCheck | None
            if kind == "pelvic_tilt_range":
                rrun = run_range_check(
                    frames, detector, variant=variant, config=range_config(variant)
                )
                r = rrun.outcome.result
                check = None if r is None else range_check(r, name, variant, bench)
                findings, tally = rrun.findings, rrun.tally
            else:
                brun = run_breathing_check(frames, detector)
                b = brun.outcome.result
                check = None if b is None else breathing_check(b, name, variant, bench)
                findings, tally = brun.findings, brun.tally
    return GuidedOutcome(check, findings, _frames_text(tally))


def analyze_thomas_photo(data: bytes, name: str, side: str, variant: str) -> GuidedOutcome:
    """Read one side of the hip-flexor test from a photo (the side the person said hangs)."""
    from posture_cam.guided import thomas_errors, thomas_frame
    from posture_cam.measure.thomas import combine_sides, summarize_side
    from posture_cam.media.images import inference_view, load_image
    from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.models import resolve_model

    model = resolve_model(variant, allow_network=False)
    rgb, _ = inference_view(load_image(data, name=name).rgb, INFERENCE_MAX_SIDE_PX)
    with PoseDetector(DetectorOptions(model.path, mode="image", variant=variant)) as det:
        detection = det.detect(rgb)
    reading = thomas_frame(detection, rgb)
    blocking = tuple(f for f in reading.findings if f.severity == "block")
    if not reading.usable or reading.frame is None:
        return GuidedOutcome(None, blocking or reading.findings)
    thigh_pm, knee_pm = thomas_errors(variant)
    s = summarize_side(
        [reading.frame],
        side="left" if side == "left" else "right",
        thigh_plus_minus_deg=thigh_pm,
        knee_plus_minus_deg=knee_pm,
    )
    result = combine_sides(s if s.side == "left" else None, s if s.side == "right" else None)
    check = thomas_check(result, name, variant, load_bench_figures(variant))
    return GuidedOutcome(check, tuple(f for f in reading.findings if f.severity != "block"))


def _cached(key: tuple[str, ...], work: Any) -> GuidedOutcome:
    cache: dict[tuple[str, ...], GuidedOutcome] = st.session_state.setdefault(_KEY_CACHE, {})
    if key not in cache:
        cache[key] = work()
    return cache[key]


# ------------------------------------------------------------------------------- drawing


def _keep(check: GuidedCheck) -> None:
    """Button callback: add the check to the session (once, however often it is pressed)."""
    session = state.get_session()
    if all(g.entry_id != check.entry_id for g in session.guided):
        session.add_guided(check)
    st.session_state.setdefault(_KEY_KEPT, {})[check.kind] = check.entry_id


def _saved_key(check: GuidedCheck) -> str:
    return f"guided_{check.entry_id}"


def _save(check: GuidedCheck) -> None:
    """Button callback: save the check's numbers in the history file (once)."""
    from posture_cam.history.store import HistoryError, HistoryStore

    saved: dict[str, int] = st.session_state.setdefault(state.KEY_HISTORY_SAVED, {})
    if _saved_key(check) in saved:
        return
    try:
        with HistoryStore() as store:
            saved[_saved_key(check)] = store.add_guided(check)
    except HistoryError as exc:
        st.error(f"It could not be saved: {exc}")


def render_guided_result(check: GuidedCheck, *, key: str) -> None:
    """The result card: headline numbers with ±, the measured error, the words, sources."""
    with st.container(border=True):
        st.markdown(f"#### {check.title}")
        st.caption(f"From {check.name} · model {check.variant}")
        rows = check.rows
        cols = st.columns(min(3, len(rows)))
        for col, (label, value) in zip(cols, rows[:3], strict=False):
            col.metric(label, value)
        if len(rows) > 3:
            st.dataframe(
                [{"Measure": k, "Value": v} for k, v in rows[3:]],
                hide_index=True,
                width="stretch",
            )
        trace = check.trace()
        if trace is not None:
            st.caption("Front outline movement (pixels), drift removed")
            st.line_chart(
                {"time (s)": trace["t_s"], "chest": trace["chest_px"], "belly": trace["belly_px"]},
                x="time (s)",
                y=["chest", "belly"],
                height=200,
            )
        for sentence in check.interpretation:
            st.markdown(sentence)
        with st.expander("Sources"):
            for s in check.sources:
                st.markdown(f"- {s}")
        kept = st.session_state.get(_KEY_KEPT, {}).get(check.kind) == check.entry_id
        keep_col, save_col = st.columns(2)
        keep_col.button(
            "Kept in report" if kept else "Keep in report",
            key=f"guided_keep_{key}",
            type="primary",
            disabled=kept,
            on_click=_keep,
            args=(check,),
            icon=":material/check:" if kept else ":material/add:",
            width="stretch",
        )
        saved = st.session_state.get(state.KEY_HISTORY_SAVED, {}).get(_saved_key(check))
        save_col.button(
            "Save to history" if saved is None else f"Saved to history (#{saved})",
            key=f"guided_save_{key}",
            disabled=saved is not None,
            on_click=_save,
            args=(check,),
            icon=":material/bookmark_add:" if saved is None else ":material/check:",
            help="Keep its numbers on this computer to follow them over weeks (History page).",
            width="stretch",
        )


def _render_outcome(outcome: GuidedOutcome, key: str) -> None:
    if outcome.check is None:
        for f in outcome.findings[:3]:
            st.warning(f"**{f.message}** {f.hint}".strip(), icon=":material/visibility_off:")
        if outcome.frames_text:
            st.caption(outcome.frames_text)
        return
    for f in outcome.findings:
        st.info(f"{f.message} {f.hint}".strip(), icon=":material/info:")
    render_guided_result(outcome.check, key=key)
    if outcome.frames_text:
        st.caption(outcome.frames_text)


def _how_to(kind: GuidedKind) -> None:
    st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(HOW_TO[kind], start=1)))
    st.caption(NOT_A_DIAGNOSIS)


def _video_check(kind: GuidedKind, variant: str) -> None:
    from posture_cam.media.video import VideoLoadError

    upload = st.file_uploader(
        "Upload a video of the check",
        type=list(VIDEO_TYPES),
        key=f"guided_upload_{kind}",
        help="Film it side-on with a phone on a shelf or tripod, then upload the file "
        "(MP4 or MOV). It is analysed on this computer and not stored.",
    )
    if upload is None:
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        with st.spinner("Measuring every frame…"):
            outcome = _cached(
                (kind, variant, digest), lambda: analyze_video(kind, data, upload.name, variant)
            )
    except VideoLoadError as err:
        st.error(f"{err.message} {err.hint}".strip(), icon=":material/error:")
        return
    _render_outcome(outcome, key=f"{kind}_{digest[:12]}")


def _thomas_check(variant: str) -> None:
    from posture_cam.media.image_errors import ImageLoadError

    st.markdown(
        "Take one side-on photo per leg, with the hanging leg nearer the camera: first the "
        "**left** leg hanging, then turn round (or move the camera) for the **right** one."
    )
    for side in ("left", "right"):
        upload = st.file_uploader(
            f"Photo with your {side} leg hanging",
            type=list(UPLOAD_TYPES),
            key=f"guided_thomas_{side}",
        )
        if upload is None:
            continue
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        try:
            with st.spinner("Measuring…"):
                outcome = _cached(
                    ("hip_flexor_test", side, variant, digest),
                    lambda d=data, n=upload.name, s=side: analyze_thomas_photo(d, n, s, variant),
                )
        except ImageLoadError as err:
            st.error(str(err), icon=":material/error:")
            continue
        _render_outcome(outcome, key=f"thomas_{side}_{digest[:12]}")


# ------------------------------------------------------------------------------- camera

STALE_AFTER_S = 2.0
"""No new frame for this long means the camera stopped (as on the posture check)."""


@st.fragment(run_every=0.5)
def _camera_panel() -> None:
    """The steps with the current one and its countdown, how far measuring the recording
    got, then the result (re-run 2× a s)."""
    from posture_cam.live.guided import GuidedRecorder

    rec: GuidedRecorder | None = st.session_state.get(state.KEY_GUIDED_RECORDER)
    if rec is None:
        return
    s = rec.state
    if s.step < 0:
        st.info(
            "Press **Start** below the video and allow the camera; the first step begins "
            "with the first picture.",
            icon=":material/videocam:",
        )
    elif s.analysing:
        if s.n_to_analyse:
            st.progress(
                s.n_analysed / s.n_to_analyse,
                text=f"Measuring the recording: {s.n_analysed} of {s.n_to_analyse} frames",
            )
        else:
            st.info("Measuring…", icon=":material/hourglass_top:")
    elif not s.done:
        if rec.age_s(s) > STALE_AFTER_S:
            st.info("The camera is stopped. Press **Start** to go on.", icon=":material/pause:")
        lines = []
        for i, step in enumerate(rec.steps):
            mark = "→" if i == s.step else "✓" if i < s.step else "·"
            text = f"**{step.prompt}** ({s.remaining_s:.0f} s left)" if i == s.step else step.prompt
            lines.append(f"{mark} {text}")
        st.markdown("  \n".join(lines))
        if s.problem:
            st.warning(s.problem, icon=":material/visibility_off:")
        if rec.kind == "pelvic_tilt_range":
            st.caption(
                f"{s.n_recorded} frames recorded so far; they are measured after the last step."
            )
        else:
            st.caption(f"{s.n_measured} of {s.n_frames} frames measured so far.")
    else:
        frames = f"{s.n_measured} of {s.n_frames} frames could be measured."
        _render_outcome(GuidedOutcome(s.check, s.findings, frames), key=f"camera_{rec.kind}")
    if s.error:
        st.error(f"The measurement failed ({s.error}).")
    st.button(
        "Start the steps again",
        key="guided_restart",
        on_click=rec.restart,
        icon=":material/restart_alt:",
        disabled=s.step < 0,
    )


def _camera_check(kind: GuidedKind, variant: str) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    from .webrtc import ice_servers_from_config

    rec = state.guided_recorder(kind, variant)
    video, panel = st.columns([3, 2], gap="large")
    with video:
        webrtc_streamer(
            key=f"guided_{kind}",
            mode=WebRtcMode.SENDRECV,
            video_frame_callback=rec.callback,
            rtc_configuration={"iceServers": ice_servers_from_config()},
            media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
            async_processing=True,
        )
        st.caption(
            "The bar along the bottom of the video says what to do and counts down each "
            "step; the green dots are the body landmarks found."
        )
    with panel:
        _camera_panel()


MODE_CAMERA = "With the camera"
MODE_VIDEO = "From a recorded video"
MODE_PHOTOS = "From photos"


def render_guided_check(kind: GuidedKind, variant: str) -> None:
    """Draw one guided check: how to do it, its input and its result."""
    st.subheader(GUIDED_TITLES[kind])
    _how_to(kind)
    if not obtain_model(variant):
        return
    other = MODE_PHOTOS if kind == "hip_flexor_test" else MODE_VIDEO
    mode = st.radio(
        "How",
        [MODE_CAMERA, other],
        key=f"guided_mode_{kind}",
        horizontal=True,
        label_visibility="collapsed",
    )
    if mode == MODE_CAMERA:
        _camera_check(kind, variant)
    elif kind == "hip_flexor_test":
        _thomas_check(variant)
    else:
        _video_check(kind, variant)
