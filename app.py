"""posture_cam in the browser: ``streamlit run app.py``.

Thin on purpose: the pages live in :mod:`posture_cam.ui`, the work in :mod:`posture_cam`.
Nothing is loaded at import time; the pose model is loaded on first use, per browser session.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from posture_cam.pose.native_log import filter_native_stderr
from posture_cam.ui.about_page import render_about_page
from posture_cam.ui.history_page import render_history_page
from posture_cam.ui.photo_page import render_photo_page
from posture_cam.ui.report_page import render_report_page


def live_check() -> None:
    """The live webcam page (imported when opened: it pulls in WebRTC)."""
    try:
        from posture_cam.ui.live_page import render_live_page
    except ImportError as exc:
        st.title("Live check")
        st.error(f"The live camera view is not available in this installation ({exc}).")
        return
    render_live_page()


def main() -> None:
    # MediaPipe's native INFO/WARNING lines (dozens per model load) would flood the server's
    # terminal; the filter is put in place once per process and keeps every other line.
    with contextlib.suppress(OSError):
        filter_native_stderr()
    st.set_page_config(
        page_title="posture_cam",
        page_icon=":material/accessibility_new:",
        layout="wide",
    )
    pages = [
        st.Page(
            render_photo_page, title="Photo check", icon=":material/photo_camera:", default=True
        ),
        st.Page(live_check, title="Live check", icon=":material/videocam:", url_path="live"),
        st.Page(
            render_report_page, title="Report", icon=":material/description:", url_path="report"
        ),
        st.Page(
            render_history_page, title="History", icon=":material/timeline:", url_path="history"
        ),
        st.Page(render_about_page, title="About", icon=":material/info:", url_path="about"),
    ]
    st.navigation(pages).run()


main()
