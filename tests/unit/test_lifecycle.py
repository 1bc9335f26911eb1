"""Detectors are closed on purpose: now, when their owner goes away, or at exit; never by GC."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

from posture_cam.pose.lifecycle import OwnedDetector


class FakeDetector:
    def __init__(self) -> None:
        self.closed = threading.Event()
        self.closes = 0
        self.closed_on: str | None = None

    def close(self) -> None:
        self.closes += 1
        self.closed_on = threading.current_thread().name
        self.closed.set()


def test_close_closes_now_and_once() -> None:
    det = FakeDetector()
    owned = OwnedDetector(det)
    owned.close()
    owned.close()
    assert det.closes == 1 and det.closed_on == threading.current_thread().name


def test_a_detector_whose_owner_is_collected_is_closed_on_the_closer_thread() -> None:
    class Owner:
        pass

    det = FakeDetector()
    owner = Owner()
    owner.cycle = owner  # type: ignore[attr-defined]  # collected by the GC, as session state is
    owner.detector = OwnedDetector(det, owner=owner)  # type: ignore[attr-defined]
    del owner
    gc.collect()
    assert det.closed.wait(10), "the abandoned detector was not closed"
    assert det.closes == 1 and det.closed_on == "posture_cam-closer"


def test_nothing_is_registered_at_import_and_open_detectors_close_at_exit() -> None:
    # The libraries first: some register exit hooks of their own when imported.
    code = """
import atexit
import logging, altair, av, cv2, fpdf, numpy, pandas, PIL.Image, streamlit, streamlit_webrtc
before = atexit._ncallbacks()
import posture_cam.pose.lifecycle, posture_cam.live.processor, posture_cam.ui.state
import posture_cam.ui.live_page, posture_cam.ui.photo_page
assert atexit._ncallbacks() == before, "registered at import time"

from posture_cam.pose.lifecycle import OwnedDetector

class Det:
    def close(self):
        print("closed at exit", flush=True)

kept = OwnedDetector(Det())
assert atexit._ncallbacks() > before  # on first use
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "closed at exit"
