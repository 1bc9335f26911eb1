"""A short session of the app makes no network traffic that leaves this computer.

``streamlit run app.py`` runs under ``strace -f`` (``tests/net_audit.py``); headless Chromium
(a separate process, not traced: only the server is audited) opens Photo check and analyses
an uploaded photo, keeps it, opens Live check and streams the fake camera for a few seconds,
then opens Report and downloads the PDF. After the server stops, the log must show no
``connect`` and no ``sendto``/``sendmsg``/``sendmmsg`` to an address other than loopback,
except the documented ones (``tests/net_audit.py``):

* MediaPipe's metrics DNS lookup of ``play.googleapis.com`` (not seen in the app so far);
* the live view's WebRTC media to this computer's own interface addresses: aiortc's ICE
  and Chromium both leave loopback out of their candidates, so browser and server on one
  computer talk over e.g. eth0's address, which the kernel delivers locally.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e import harness
from tests.net_audit import audit, destinations, host_addresses, strace_prefix

pytestmark = pytest.mark.e2e

PHOTO = harness.SAMPLES / "increased_curve_side.jpg"
LIVE_SECONDS = 5.0


def drive_session(page: Any, tmp_path: Path) -> harness.LiveReading:
    """Photo check, Live check with the camera, Report and its PDF; returns the live panel's
    last reading."""
    harness.open_page(page, "Photo check")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(PHOTO))
    expect(page.get_by_text("Increased curve / anterior pelvic tilt").first).to_be_visible(
        timeout=90_000
    )
    page.get_by_role("button", name="Keep in report").first.click()

    harness.start_camera(page)
    deadline = time.monotonic() + 180
    while (reading := harness.read_live_line(page)) is None or reading.frames < 1:
        assert time.monotonic() < deadline, "the live panel showed no analysed frame in 180 s"
        page.wait_for_timeout(500)
    page.wait_for_timeout(LIVE_SECONDS * 1000)
    reading = harness.read_live_line(page) or reading
    harness.stop_camera(page)

    harness.open_page(page, "Report")
    expect(page.get_by_text("1 result kept").first).to_be_visible(timeout=30_000)
    pdf_button = page.get_by_test_id("stDownloadButton").filter(has_text="PDF").first
    with page.expect_download(timeout=60_000) as download:
        pdf_button.click()
    target = tmp_path / "report.pdf"
    download.value.save_as(str(target))
    assert target.read_bytes()[:5] == b"%PDF-"
    return reading


def test_app_session_stays_on_this_computer(browser_context: Any, tmp_path: Path) -> None:
    log = tmp_path / "strace.txt"
    with harness.app_server(tmp_path / "streamlit.log", prefix=strace_prefix(log)) as server:
        page = harness.open_app(browser_context, server.url)
        try:
            reading = drive_session(page, tmp_path)
        finally:
            page.close()
    text = log.read_text(errors="replace")
    own = host_addresses()
    seen = destinations(text)
    print(
        f"\naudit: {len(text.splitlines())} traced calls; live rate {reading.fps:.1f} frames/s "
        f"({reading.frames} frames) under strace; non-loopback destinations: "
        f"{seen or 'none'}; this computer's addresses: {sorted(map(str, own))}"
    )
    assert "sendto(" in text, "strace logged nothing from the server"
    assert audit(text, local_addresses=own) == []
