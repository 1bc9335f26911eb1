"""A thread that works on the newest item only: what arrives while it is busy replaces what
was waiting, so a slow consumer falls behind by at most one item and never builds a queue.

The live view hands every camera frame to one of these for pose analysis: the video keeps the
camera's rate, and the analysis takes the newest frame each time it is free.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["LatestOnlyWorker"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class LatestOnlyWorker(Generic[T]):
    """Runs ``work(item)`` on a daemon thread of its own for the newest item submitted.

    Args:
        work: what to do with an item: a bound method of the owner, held weakly so that the
            worker keeps its owner alive no longer than the item in hand (the owner's
            finaliser should call :meth:`close`). An exception it raises is logged once and
            the thread goes on with the next item.
        name: the thread's name.
        nice: added to the thread's scheduling niceness when it starts (Linux; threads it
            starts inherit it), so that it takes the CPU only when other threads leave it.

    :meth:`submit` never waits for the work; the thread starts on the first item.
    """

    def __init__(self, work: Callable[[T], None], name: str, *, nice: int = 0) -> None:
        self._work = weakref.WeakMethod(work)
        self._name = name
        self._nice = nice
        self._cond = threading.Condition()
        self._pending: T | None = None
        self._has_pending = False
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dropped = 0
        self._logged = False

    @property
    def dropped(self) -> int:
        """Items replaced by a newer one before the thread got to them."""
        return self._dropped

    def submit(self, item: T) -> None:
        """Hand ``item`` to the thread, replacing any item still waiting (ignored once closed)."""
        with self._cond:
            if self._closed:
                return
            if self._has_pending:
                self._dropped += 1
            self._pending, self._has_pending = item, True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def close(self, timeout_s: float = 5.0) -> None:
        """Drop what is waiting and end the thread after the item in hand (waits up to
        ``timeout_s`` for it unless called from the thread itself). Safe to call twice."""
        with self._cond:
            self._closed = True
            self._pending, self._has_pending = None, False
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _run(self) -> None:
        if self._nice and hasattr(os, "setpriority"):
            try:
                tid = threading.get_native_id()
                os.setpriority(
                    os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + self._nice
                )
            except OSError:  # not allowed here: run at the usual priority
                pass
        while True:
            with self._cond:
                while not self._has_pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                item: T = self._pending  # type: ignore[assignment]
                self._pending, self._has_pending = None, False
            work = self._work()
            if work is None:  # the owner is gone
                return
            try:
                work(item)
            except Exception:  # the thread must outlive a bad item
                if not self._logged:
                    logger.exception("%s: work on an item failed", self._name)
                    self._logged = True
            del work, item
