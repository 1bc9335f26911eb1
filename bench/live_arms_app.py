"""The baseline arms of ``bench/live_browser.py``: the browser path with a bare frame callback.

    streamlit run bench/live_arms_app.py   (opened at ?arm=passthrough or ?arm=bare)

The WebRTC component is set up as the Live check page sets it up (640 × 480, no audio, no ICE
servers, ``async_processing``); only the callback differs:

* ``passthrough``: the frame goes back as it came (what the browser path costs by itself);
* ``bare``: MediaPipe lite in VIDEO mode on every frame the callback gets, built by the Live
  page's own factory (one pose, segmentation mask), and the frame goes back as it came
  (what the pose model costs in that path, with nothing drawn and nothing measured).

A caption counts the frames through the callback ("… frames through the callback"); the
bench reads it. Not part of the app.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posture_cam.live.detectors import VideoDetector, video_detector_factory  # noqa: E402
from posture_cam.pose.lifecycle import OwnedDetector  # noqa: E402

ARMS = ("passthrough", "bare")


class Arm:
    """One browser session's callback and its frame count."""

    def __init__(self, arm: str) -> None:
        self.arm = arm
        self.frames = 0
        self._lock = threading.Lock()
        self._detector: OwnedDetector[VideoDetector] | None = None
        self._last_ts = -1

    def callback(self, frame: Any) -> Any:
        if self.arm == "bare":
            if self._detector is None:
                self._detector = OwnedDetector(video_detector_factory("lite")(), owner=self)
            raw = (
                int(frame.pts * frame.time_base * 1000)
                if frame.pts is not None and frame.time_base is not None
                else int(time.monotonic() * 1000)
            )
            self._last_ts = max(raw, self._last_ts + 1)
            rgb = frame.to_ndarray(format="rgb24")
            self._detector.detector.detect_for_video(rgb, self._last_ts)
        with self._lock:
            self.frames += 1
        return frame


@st.fragment(run_every=0.5)
def _count(arm: Arm) -> None:
    st.caption(f"Arm {arm.arm}: {arm.frames} frames through the callback")


def main() -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    name = st.query_params.get("arm", "passthrough")
    if name not in ARMS:
        st.error(f"unknown arm {name!r}; one of {', '.join(ARMS)}")
        return
    key = f"bench_arm_{name}"
    if key not in st.session_state:
        st.session_state[key] = Arm(name)
    arm: Arm = st.session_state[key]
    st.title(f"Bench arm: {name}")
    webrtc_streamer(
        key="live",
        mode=WebRtcMode.SENDRECV,
        video_frame_callback=arm.callback,
        rtc_configuration={"iceServers": []},
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        async_processing=True,
    )
    _count(arm)


main()
