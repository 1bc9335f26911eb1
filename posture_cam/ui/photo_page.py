"""The "Photo check" page: upload side-view photos (or pick a sample) and read the result.

Each photo is analysed once per browser session and model (cached by the file's SHA-256),
so reruns (a click on "Keep in report", another upload) do not run MediaPipe again. An
unexpected error on one photo is reported in words and the other photos carry on.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from posture_cam.media.encode import encode_jpeg
from posture_cam.pipeline import analyze_file, draw_analysis
from posture_cam.pose.detect import PoseDetector
from posture_cam.report.record import ResultRecord, photo_record
from posture_cam.report.session import SessionEntry
from posture_cam.ui import state

from .components import (
    obtain_model,
    render_exercises,
    render_photo_guidance,
    render_photo_tips,
    render_result_card,
)
from .history_page import render_save_to_history

__all__ = [
    "PhotoResult",
    "Sample",
    "SAMPLES",
    "UPLOAD_TYPES",
    "OVERLAY_MAX_SIDE_PX",
    "samples_dir",
    "available_samples",
    "analyze_photo",
    "render_photo_page",
    "render_photo_result",
]

log = logging.getLogger(__name__)

UPLOAD_TYPES = ("jpg", "jpeg", "png", "webp", "heic", "heif", "gif", "bmp", "tif", "tiff")
"""What the uploader takes: the picture types the command line reads."""

OVERLAY_MAX_SIDE_PX = 1600
"""The overlay is drawn on the full-resolution photo, then stored at most this size
(enough for the screen and the PDF; a 12-megapixel JPEG would weigh several MB each)."""

ENV_SAMPLES_DIR = "POSTURE_CAM_SAMPLES_DIR"


@dataclass(frozen=True)
class Sample:
    """A picture offered under "Try a sample" (see ``samples/README.md``)."""

    file: str
    label: str


SAMPLES: tuple[Sample, ...] = (
    Sample("increased_curve_side.jpg", "Side view: increased curve (synthetic)"),
    Sample("flattened_curve_side.jpg", "Side view: flattened curve (synthetic)"),
    Sample("neutral_side.jpg", "Side view: neutral (synthetic)"),
    Sample("front_view.png", "Front view: shows the photo guidance (real photo)"),
)


@dataclass(frozen=True, eq=False)
class PhotoResult:
    """What the page keeps of one analysed photo (not the decoded pixels).

    Attributes:
        key: cache key: model variant and the file's SHA-256.
        name: the file name.
        record: the result.
        overlay_jpeg: the annotated picture, or None when the file could not be read.
    """

    key: str
    name: str
    record: ResultRecord
    overlay_jpeg: bytes | None

    @property
    def measurable(self) -> bool:
        return self.record.measurable


def samples_dir() -> Path:
    """The ``samples/`` folder next to ``app.py`` (override: ``$POSTURE_CAM_SAMPLES_DIR``)."""
    env = os.environ.get(ENV_SAMPLES_DIR)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "samples"


def available_samples() -> list[Sample]:
    """The samples whose files exist."""
    folder = samples_dir()
    return [s for s in SAMPLES if (folder / s.file).is_file()]


def analyze_photo(data: bytes, name: str, detector: PoseDetector, *, key: str = "") -> PhotoResult:
    """Analyse one photo and draw its overlay (no Streamlit calls: testable on its own).

    A file that cannot be read gives a result whose findings say why; other errors raise.
    """
    a = analyze_file(data, detector, name=name)
    drawn = draw_analysis(a, max_side_px=OVERLAY_MAX_SIDE_PX)
    overlay = None if drawn is None else encode_jpeg(drawn, max_side_px=OVERLAY_MAX_SIDE_PX)
    record = photo_record(a, detector.options.variant)
    return PhotoResult(key=key, name=name, record=record, overlay_jpeg=overlay)


def _cached_result(
    data: bytes, name: str | None, detector: PoseDetector, new_name: str
) -> PhotoResult:
    """The analysis of ``data`` from this session's cache, or a new one (then cached).

    A hit must have the same ``name``; with ``name`` None any hit counts, and a new analysis
    is called ``new_name`` (a camera snapshot keeps the name it got when first analysed).
    """
    variant = detector.options.variant or "?"
    key = f"{variant}:{hashlib.sha256(data).hexdigest()}"
    cache = state.photo_cache()
    hit = cache.get(key)
    if hit is not None and (name is None or hit.name == name):
        cache.move_to_end(key)
        return hit
    result = analyze_photo(data, name or new_name, detector, key=key)
    cache[key] = result
    while len(cache) > state.PHOTO_CACHE_SIZE:
        cache.popitem(last=False)
    return result


def _kept_entry_id(result: PhotoResult) -> str | None:
    session = state.get_session()
    for e in session.entries:
        if e.source == "photo" and e.record is result.record:
            return e.entry_id
    return None


def _keep(result: PhotoResult) -> None:
    state.get_session().add(
        SessionEntry(record=result.record, source="photo", overlay_jpeg=result.overlay_jpeg)
    )


def _render_one(result: PhotoResult, index: int, history_key: str) -> None:
    """One photo's result, with "Keep in report" and "Save to history" (keyed ``history_key``)."""
    record = result.record
    with st.container(border=True):
        # The name and the actions on one line (they wrap under it on a phone).
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"#### {result.name}", width="stretch")
        with head:
            if record.metrics is not None:
                if _kept_entry_id(result) is not None:
                    st.button(
                        "Kept in report",
                        key=f"kept_{index}_{result.key}",
                        disabled=True,
                        icon=":material/check:",
                        wrap=True,
                    )
                else:
                    st.button(
                        "Keep in report",
                        key=f"keep_{index}_{result.key}",
                        on_click=_keep,
                        args=(result,),
                        type="primary",
                        wrap=True,
                        help="Add this result and its picture to the session report.",
                    )
            render_save_to_history(
                SessionEntry(record=record, source="photo", overlay_jpeg=result.overlay_jpeg),
                key=history_key,
            )
        if result.overlay_jpeg is None:
            render_photo_guidance(record.findings)
            return
        left, right = st.columns([5, 6], gap="medium")
        with left:
            caption = (
                "Near-side landmarks, back outline (red), tangents at L1 and S1 (yellow) "
                "and the plumb line through the ankle (green)."
                if record.metrics is not None
                else "What the pose model found."
            )
            st.image(result.overlay_jpeg, caption=caption, width="stretch")
        with right:
            if not record.measurable and record.metrics is None:
                render_photo_guidance(record.findings)
            else:
                render_result_card(record)
        if record.metrics is not None:
            render_exercises(record.pattern)


def render_photo_result(
    data: bytes,
    name: str | None,
    *,
    new_name: str = "",
    index: int = 0,
    detector: PoseDetector | None = None,
    seen: set[str] | None = None,
) -> PhotoResult | None:
    """Analyse a picture with this session's photo detector (cached) and show its result.

    Args:
        data: the file's bytes.
        name: its name; None to keep the name of an earlier analysis of the same bytes, or
            else call it ``new_name``.
        index: the picture's place on the page (keys its buttons).
        detector: the photo detector, when the caller already has it.
        seen: result keys already shown on this page; the same picture shown twice gets a
            "Save to history" control of its own (keyed ``hist_<result key>``, so that a
            result saved once shows as saved on every rerun).

    Returns:
        The result, or None when there is no detector (the page says why) or the analysis
        failed (the page says so; other pictures carry on).
    """
    detector = detector or _detector_or_help()
    if detector is None:
        return None
    shown = name or new_name
    try:
        with st.spinner(f"Analysing {shown}…"):
            result = _cached_result(data, name, detector, new_name)
    except Exception as exc:  # noqa: BLE001 - one bad photo must not stop the others
        log.exception("analysis of %s failed", shown)
        st.error(
            f"Something went wrong while analysing “{shown}” ({type(exc).__name__}). "
            "Try another photo; if it keeps happening, the photo may be unusual in a way "
            "we did not expect."
        )
        return None
    history_key = f"hist_{result.key}"
    if seen is not None:
        if result.key in seen:
            history_key += f"_{index}"
        seen.add(result.key)
    _render_one(result, index, history_key)
    return result


def _model_settings() -> None:
    with st.sidebar:
        labels = {
            "full": "Full: calibrated, more accurate (default)",
            "lite": "Lite: faster, less accurate",
        }
        options = list(state.PHOTO_VARIANTS)
        current = state.model_variant()
        choice = st.radio(
            "Pose model for photos",
            options,
            index=options.index(current) if current in options else 0,
            format_func=lambda v: labels.get(v, v),
        )
        if choice != current:
            state.set_model_variant(choice)


def _detector_or_help() -> PoseDetector | None:
    if not obtain_model(state.model_variant()):
        return None
    try:
        return state.photo_detector()
    except Exception as exc:  # noqa: BLE001 - a broken model file must not crash the page
        log.exception("could not start the pose detector")
        st.error(f"The pose detector could not start ({type(exc).__name__}: {exc}).")
        return None


def render_photo_page() -> None:
    """Draw the page."""
    st.title("Photo check")
    st.markdown(
        "Upload a **side-view** photo of yourself standing relaxed and see how your pelvis "
        "and lower-back curve compare with typical values. Photos are analysed on this "
        "computer and not stored."
    )
    _model_settings()

    # The uploader and the samples side by side keep the result high on the page.
    upload_col, sample_col = st.columns([3, 2], vertical_alignment="bottom")
    uploads = upload_col.file_uploader(
        "Upload one or more photos",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        help="JPEG, PNG, WebP, HEIC (iPhone), GIF, BMP or TIFF. Side-on, whole body in view.",
    )
    samples = available_samples()
    sample: Sample | None = None
    if samples:
        sample = sample_col.selectbox(
            "…or try a sample",
            samples,
            index=None,
            format_func=lambda s: s.label,
            placeholder="Choose a sample photo",
        )

    items: list[tuple[str, bytes | None, str | None]] = []
    for up in uploads or []:
        items.append((up.name, up.getvalue(), None))
    if sample is not None:
        try:
            items.append((sample.file, (samples_dir() / sample.file).read_bytes(), None))
        except OSError as exc:
            items.append((sample.file, None, f"The sample could not be opened ({exc})."))

    if not items:
        st.info(
            "Choose a photo above, or try a sample to see what the result looks like. "
            "**Save to history** on a result keeps its numbers (and the picture only if you "
            "tick the box) to follow change over weeks.",
            icon=":material/arrow_upward:",
        )
        _photo_tips()
        return

    detector = _detector_or_help()
    if detector is None:
        return
    seen: set[str] = set()
    for index, (name, data, problem) in enumerate(items):
        if data is None:
            st.error(problem or f"“{name}” could not be opened.")
            continue
        render_photo_result(data, name, index=index, detector=detector, seen=seen)
    _photo_tips()


def _photo_tips() -> None:
    with st.expander("How to take a good photo"):
        render_photo_tips()
