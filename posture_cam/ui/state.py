"""Session state: the one module that knows the app's ``st.session_state`` keys.

Each browser session gets its own :class:`~posture_cam.report.session.Session` (the results the
person chose to keep), its own photo :class:`~posture_cam.pose.detect.PoseDetector` (IMAGE mode)
and live :class:`~posture_cam.live.processor.LiveProcessor` (with its VIDEO-mode detector), each
created on first use and never shared through ``st.cache_resource`` (MediaPipe graphs are not
thread-safe, VIDEO-mode timestamps belong to one stream, and one shared detector would
serialise every user), and its own model choices. Detectors are closed deliberately, never by
the garbage collector (:mod:`posture_cam.pose.lifecycle`). Nothing here is written to disk
(only "Save to history" writes, see :mod:`posture_cam.ui.history_page`).

Keys of widgets whose value the code never reads through ``st.session_state`` stay beside
their widgets.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st

from posture_cam.history.baseline import DEFAULT_BASELINE_N
from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.lifecycle import OwnedDetector
from posture_cam.pose.models import DEFAULT_VARIANT, VARIANTS, resolve_model
from posture_cam.report.session import Session

if TYPE_CHECKING:
    from posture_cam.live.guided import GuidedRecorder
    from posture_cam.live.processor import LiveProcessor
    from posture_cam.report.guided_record import GuidedKind

__all__ = [
    "KEY_DETECTOR",
    "KEY_HISTORY_BASELINE",
    "KEY_HISTORY_CONFIRM_ALL",
    "KEY_HISTORY_SAVED",
    "KEY_GUIDED_RECORDER",
    "KEY_LIVE_CHECK",
    "KEY_LIVE_LAST_KEPT",
    "KEY_LIVE_LAST_KEPT_ID",
    "KEY_LIVE_MODE",
    "KEY_LIVE_PROCESSOR",
    "KEY_LIVE_VARIANT",
    "KEY_MODEL_FAILURES",
    "KEY_MODELS_OBTAINED",
    "KEY_PHOTO_CACHE",
    "KEY_REPORT_PDF",
    "KEY_SESSION",
    "KEY_SNAPSHOT_KEPT",
    "KEY_VARIANT",
    "LIVE_VARIANTS",
    "PHOTO_CACHE_SIZE",
    "PHOTO_VARIANTS",
    "close_photo_detector",
    "get_session",
    "guided_recorder",
    "history_baseline",
    "live_processor",
    "live_variant",
    "model_variant",
    "photo_cache",
    "photo_detector",
    "set_history_baseline",
    "set_model_variant",
]

# This session's kept results, photo model and detector, and analysed photos.
KEY_SESSION = "posture_cam.session"
KEY_VARIANT = "posture_cam.model_variant"
KEY_DETECTOR = "posture_cam.photo_detector"
KEY_PHOTO_CACHE = "posture_cam.photo_cache"
# Pose models that could not be obtained in this session: variant -> what was tried.
KEY_MODEL_FAILURES = "posture_cam.model_failures"
# The model variants this session obtained (their green "ready" line stays in place).
KEY_MODELS_OBTAINED = "posture_cam.models_obtained"
# The live page: its processor, model and mode (widgets), the result "Keep" added last
# ((name, title) and its SessionEntry.entry_id), and the snapshot kept last.
KEY_LIVE_PROCESSOR = "posture_cam.live_processor"
KEY_LIVE_VARIANT = "posture_cam.live_variant"
KEY_LIVE_MODE = "posture_cam.live_mode"
KEY_LIVE_LAST_KEPT = "posture_cam.live_last_kept"
# Which check the live page shows: posture or one of the guided checks (a widget).
KEY_LIVE_CHECK = "posture_cam.live_check"
# The guided check running in front of the camera (one at a time per session).
KEY_GUIDED_RECORDER = "posture_cam.guided_recorder"
KEY_LIVE_LAST_KEPT_ID = "posture_cam.live_last_kept_id"
KEY_SNAPSHOT_KEPT = "posture_cam.snapshot_kept"
# "Save to history" controls: widget key -> saved check id; the "delete all" confirmation.
KEY_HISTORY_SAVED = "posture_cam.history_saved"
KEY_HISTORY_CONFIRM_ALL = "history_confirm_all"
# The baseline picked on the History page, (n, since, until); the Report page uses it too.
KEY_HISTORY_BASELINE = "posture_cam.history_baseline"
# The report page's PDF and what it was built from.
KEY_REPORT_PDF = "posture_cam.report_pdf"

PHOTO_CACHE_SIZE = 24
"""Analysed photos remembered per browser session (reruns reuse them; oldest dropped first)."""

PHOTO_VARIANTS: tuple[str, ...] = ("full", "lite")
"""Models offered for photos: "full" (the calibrated one, default) and "lite" (faster)."""

LIVE_VARIANTS: dict[str, str] = {
    "lite": "Lite: fast, smooth video (default)",
    "full": "Full: more accurate, fewer frames per second",
}
"""Models offered for live video, with their labels."""

T = TypeVar("T")


def _get(key: str, default: T) -> T:
    if key not in st.session_state:
        st.session_state[key] = default
    value: T = st.session_state[key]
    return value


def get_session() -> Session:
    """This browser session's kept results (created empty on first use)."""
    return _get(KEY_SESSION, Session())


def model_variant() -> str:
    """The pose model used for photos: "full" unless the person (or a test) chose another."""
    value = str(_get(KEY_VARIANT, DEFAULT_VARIANT))
    return value if value in VARIANTS else DEFAULT_VARIANT


def set_model_variant(variant: str) -> None:
    """Choose the photo model; the next :func:`photo_detector` call loads it."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown model variant {variant!r}; expected one of {VARIANTS}")
    st.session_state[KEY_VARIANT] = variant


def photo_detector() -> PoseDetector:
    """This session's IMAGE-mode detector for :func:`model_variant`, created on first use.

    The model is taken from the local cache only (the page obtains a missing one first,
    :func:`posture_cam.ui.components.obtain_model`).

    Raises:
        posture_cam.pose.models.ModelUnavailableError: the model is not in the local cache.
    """
    variant = model_variant()
    current: OwnedDetector[PoseDetector] | None = st.session_state.get(KEY_DETECTOR)
    if current is not None and current.detector.options.variant == variant:
        return current.detector
    close_photo_detector()
    model = resolve_model(variant, allow_network=False)
    owned = OwnedDetector(PoseDetector(DetectorOptions(model.path, mode="image", variant=variant)))
    st.session_state[KEY_DETECTOR] = owned
    return owned.detector


def history_baseline() -> tuple[int, datetime | None, datetime | None]:
    """The baseline picked on the History page in this session: (the first n good checks,
    or the checks from ``since`` to ``until``); the first 3 when none was picked."""
    picked = st.session_state.get(KEY_HISTORY_BASELINE)
    return picked if picked is not None else (DEFAULT_BASELINE_N, None, None)


def set_history_baseline(n: int, since: datetime | None, until: datetime | None) -> None:
    """Remember the History page's baseline for the rest of the session."""
    st.session_state[KEY_HISTORY_BASELINE] = (n, since, until)


def close_photo_detector() -> None:
    """Release this session's photo detector, if any."""
    current: OwnedDetector[PoseDetector] | None = st.session_state.pop(KEY_DETECTOR, None)
    if current is not None:
        current.close()


def photo_cache() -> OrderedDict[str, Any]:
    """Per-session results of analysed photos, keyed by model variant and file hash.

    Callers insert with "remember" semantics (move to end, trim to
    :data:`PHOTO_CACHE_SIZE`); the values are whatever the photo page stores.
    """
    cache: OrderedDict[str, Any] = _get(KEY_PHOTO_CACHE, OrderedDict())
    return cache


def live_variant() -> str:
    """The model chosen for live video ("lite" unless the person chose another)."""
    value = st.session_state.get(KEY_LIVE_VARIANT, "lite")
    return value if value in LIVE_VARIANTS else "lite"


def live_processor(variant: str) -> LiveProcessor:
    """This session's live processor for ``variant`` (a new one when the model changed).

    Raises:
        posture_cam.pose.models.ModelUnavailableError: the model is not in the local cache.
    """
    from posture_cam.live.processor import processor_for

    current: LiveProcessor | None = st.session_state.get(KEY_LIVE_PROCESSOR)
    if current is not None and current.variant == variant and not current.closed:
        return current
    # Fail here, on the page, rather than later in the video thread.
    resolve_model(variant, allow_network=False)
    if current is not None:
        current.close()
    proc = processor_for(variant)
    st.session_state[KEY_LIVE_PROCESSOR] = proc
    return proc


def guided_recorder(kind: GuidedKind, variant: str) -> GuidedRecorder:
    """This session's camera recorder for the guided check ``kind`` (a new one, and the old
    one closed, when the check or the model changed).

    Raises:
        posture_cam.pose.models.ModelUnavailableError: the model is not in the local cache.
    """
    from posture_cam.live.detectors import video_detector_factory
    from posture_cam.live.guided import GuidedRecorder

    current: GuidedRecorder | None = st.session_state.get(KEY_GUIDED_RECORDER)
    if (
        current is not None
        and current.kind == kind
        and current.variant == variant
        and not current.closed
    ):
        return current
    # Fail here, on the page, rather than later in the video thread.
    resolve_model(variant, allow_network=False)
    if current is not None:
        current.close()
    # The range check's recording is measured as an uploaded video is, with two poses
    # looked for so that a second person is flagged: what the bench's errors were measured
    # with (bench/check_range.py).
    rec = GuidedRecorder(
        kind,
        video_detector_factory(variant),
        variant,
        recording_detector_factory=video_detector_factory(variant, num_poses=2),
    )
    st.session_state[KEY_GUIDED_RECORDER] = rec
    return rec
