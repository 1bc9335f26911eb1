"""Session-state accessors: the one module that knows the app's ``st.session_state`` keys.

Each browser session gets its own :class:`~posture_cam.report.session.Session` (the results the
person chose to keep), its own photo :class:`~posture_cam.pose.detect.PoseDetector` (IMAGE mode,
created on first use, never shared through ``st.cache_resource``: MediaPipe graphs are not
thread-safe and one shared detector would serialise every user) and its own model choice.
Nothing here is written to disk (only "Save to history" writes, see
:mod:`posture_cam.ui.history_page`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import threading
import weakref
from collections import OrderedDict
from typing import Any, TypeVar

import streamlit as st

from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.models import DEFAULT_VARIANT, VARIANTS, resolve_model
from posture_cam.report.session import Session

__all__ = [
    "KEY_SESSION",
    "KEY_VARIANT",
    "KEY_DETECTOR",
    "KEY_PHOTO_CACHE",
    "SessionDetector",
    "PHOTO_CACHE_SIZE",
    "PHOTO_VARIANTS",
    "get_session",
    "model_variant",
    "set_model_variant",
    "photo_detector",
    "close_photo_detector",
    "photo_cache",
]

KEY_SESSION = "posture_cam.session"
KEY_VARIANT = "posture_cam.model_variant"
KEY_DETECTOR = "posture_cam.photo_detector"
KEY_PHOTO_CACHE = "posture_cam.photo_cache"

PHOTO_CACHE_SIZE = 24
"""Analysed photos remembered per browser session (reruns reuse them; oldest dropped first)."""

PHOTO_VARIANTS: tuple[str, ...] = ("full", "lite")
"""Models offered for photos: "full" (the calibrated one, default) and "lite" (faster)."""

T = TypeVar("T")

log = logging.getLogger(__name__)


class _Closer:
    """Closes detectors on a thread of its own once their browser session is gone.

    MediaPipe's ``PoseLandmarker.__del__`` closes the graph through a thread-pool executor.
    When a forgotten landmarker is collected as part of a reference cycle (a session's state
    is full of cycles), the garbage collector first tears down that executor's worker and
    then runs ``__del__``, which waits forever for the dead worker: the thread that
    happened to run the collection hangs. So a session's detector is never left to the
    garbage collector: :class:`SessionDetector` keeps it reachable and, when the session's
    state is collected, hands it (through a reentrant-safe ``SimpleQueue``) to this thread,
    which closes it normally.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[PoseDetector] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.open: weakref.WeakSet[PoseDetector] = weakref.WeakSet()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="posture_cam-closer", daemon=True
                )
                self._thread.start()

    def put(self, detector: PoseDetector) -> None:
        self._queue.put(detector)  # safe inside garbage collection (no locks taken)

    def _run(self) -> None:
        while True:
            detector = self._queue.get()
            try:
                detector.close()
            except Exception:  # noqa: BLE001 - a failed close must not stop the closer
                log.exception("closing a pose detector failed")
            del detector


_CLOSER = _Closer()


@atexit.register
def _close_open_detectors() -> None:
    for det in list(_CLOSER.open):
        with contextlib.suppress(Exception):
            det.close()


class SessionDetector:
    """Owns one :class:`PoseDetector` for as long as a browser session keeps this object.

    Keep it in ``st.session_state``; call :meth:`close` to release the detector early (e.g.
    when the model changes). If the session simply goes away, the detector is closed on a
    background thread instead of by MediaPipe's finaliser (see :class:`_Closer`). Usable for
    any detector, e.g. the live page's VIDEO-mode one.
    """

    def __init__(self, detector: PoseDetector) -> None:
        self.detector = detector
        _CLOSER.start()
        _CLOSER.open.add(detector)
        self._finalizer = weakref.finalize(self, _CLOSER.put, detector)
        self._finalizer.atexit = False  # _close_open_detectors handles interpreter exit

    def close(self) -> None:
        """Close the detector now (idempotent)."""
        if self._finalizer.detach() is not None:
            _CLOSER.open.discard(self.detector)
            self.detector.close()


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


def photo_detector(*, allow_network: bool = False) -> PoseDetector:
    """This session's IMAGE-mode detector for :func:`model_variant`, created on first use.

    Args:
        allow_network: let :func:`~posture_cam.pose.models.resolve_model` download or build a
            model that is not in the local cache. Only pass True after the person asked
            for it: the app makes no network connection on its own.

    Raises:
        posture_cam.pose.models.ModelUnavailableError: the model is not available locally (or
            could not be obtained).
    """
    variant = model_variant()
    current: SessionDetector | None = st.session_state.get(KEY_DETECTOR)
    if current is not None and current.detector.options.variant == variant:
        return current.detector
    close_photo_detector()
    model = resolve_model(variant, allow_network=allow_network)
    owner = SessionDetector(
        PoseDetector(DetectorOptions(model.path, mode="image", variant=variant))
    )
    st.session_state[KEY_DETECTOR] = owner
    return owner.detector


def close_photo_detector() -> None:
    """Release this session's photo detector, if any."""
    current: SessionDetector | None = st.session_state.pop(KEY_DETECTOR, None)
    if current is not None:
        current.close()


def photo_cache() -> OrderedDict[str, Any]:
    """Per-session results of analysed photos, keyed by model variant and file hash.

    Callers insert with :func:`remember` semantics (move to end, trim to
    :data:`PHOTO_CACHE_SIZE`); the values are whatever the photo page stores.
    """
    cache: OrderedDict[str, Any] = _get(KEY_PHOTO_CACHE, OrderedDict())
    return cache
