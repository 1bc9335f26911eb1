"""Closing pose detectors on purpose, never by the garbage collector.

MediaPipe's ``PoseLandmarker.__del__`` closes the graph through a thread-pool executor. When a
forgotten landmarker is collected as part of a reference cycle (a Streamlit session's state is
full of cycles), the garbage collector first tears down that executor's worker and then runs
``__del__``, which waits forever for the dead worker: the thread that happened to run the
collection hangs. So every detector the app keeps for a browser session, for photos or for the
live video, is held by an :class:`OwnedDetector`:

* :meth:`OwnedDetector.close` closes it now (a model change, a stopped stream);
* when its owner (the session's holder, the live processor) is collected without closing it,
  the detector is handed, through a ``SimpleQueue`` that is safe inside garbage collection, to
  one background thread that closes it normally;
* at interpreter exit, the detectors still open are closed before the interpreter tears down
  what MediaPipe's own finaliser needs (it would otherwise print a traceback).

Nothing happens at import time: the thread starts and the exit hook is registered when the
first detector is owned.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import threading
import weakref
from typing import Generic, Protocol, TypeVar

__all__ = ["Closable", "OwnedDetector"]

log = logging.getLogger(__name__)


class Closable(Protocol):
    def close(self) -> None: ...


D = TypeVar("D", bound=Closable)


class _Closer:
    """The background thread that closes abandoned detectors, and the exit hook."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Closable] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._open: weakref.WeakSet[Closable] = weakref.WeakSet()

    def adopt(self, detector: Closable) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="posture_cam-closer", daemon=True
                )
                self._thread.start()
                atexit.register(self._close_all)
            self._open.add(detector)

    def forget(self, detector: Closable) -> None:
        with self._lock:
            self._open.discard(detector)

    def put(self, detector: Closable) -> None:
        self._queue.put(detector)  # takes no lock: safe inside garbage collection

    def _run(self) -> None:
        while True:
            detector = self._queue.get()
            try:
                detector.close()
            except Exception:  # noqa: BLE001 - a failed close must not stop the closer
                log.exception("closing a pose detector failed")
            del detector

    def _close_all(self) -> None:
        with self._lock:
            detectors = list(self._open)
        for detector in detectors:
            with contextlib.suppress(Exception):
                detector.close()


_CLOSER = _Closer()


class OwnedDetector(Generic[D]):
    """A detector that is closed deliberately (see the module docstring).

    Args:
        detector: the detector (anything with ``close()``, e.g. a
            :class:`~posture_cam.pose.detect.PoseDetector`).
        owner: the object whose life the detector lives for; this wrapper itself when None
            (keep the wrapper, e.g. in ``st.session_state``).
    """

    def __init__(self, detector: D, owner: object | None = None) -> None:
        self.detector = detector
        _CLOSER.adopt(detector)
        self._finalizer = weakref.finalize(self if owner is None else owner, _CLOSER.put, detector)
        self._finalizer.atexit = False  # the exit hook closes what is still open

    def close(self) -> None:
        """Close the detector now (idempotent)."""
        if self._finalizer.detach() is not None:
            _CLOSER.forget(self.detector)
            self.detector.close()
