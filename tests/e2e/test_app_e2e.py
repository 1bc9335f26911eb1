"""End to end in headless Chromium: photo check, live check with a fake camera, the report PDF.

Each test opens a fresh tab (a fresh Streamlit session). The live test checks that the video
plays, that frames are analysed and that the result turns steady; the frame rate the page
reports is printed, not judged (it depends on what else this machine runs; bench/README.md
measures it).
"""

from __future__ import annotations

import io
import os
import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.harness import (
    CAMERA_SAMPLE,
    SAMPLES,
    WEBRTC_IFRAME,
    open_page,
    read_live_line,
    stop_camera,
    video_time_s,
)

pytestmark = pytest.mark.e2e

# Generous: on a busy 2-core machine the model loads and the first frames come slowly.
STEADY_TIMEOUT_MS = 180_000


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_photo_upload_shows_the_result_card(page: Any) -> None:
    open_page(page, "Photo check")
    photo = SAMPLES / "increased_curve_side.jpg"
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(photo))
    card = page.get_by_text("Increased curve / anterior pelvic tilt").first
    expect(card).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Keep in report").first).to_be_visible()
    expect(page.get_by_text("Pelvic tilt").first).to_be_visible()


def test_about_page(page: Any) -> None:
    open_page(page, "About")
    expect(page.get_by_text("What is measured").first).to_be_visible()


def test_live_check_plays_turns_steady_and_reaches_the_pdf(page: Any, tmp_path: Any) -> None:
    open_page(page, "Live check")
    start = page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Start")
    start.click(timeout=60_000)
    t0 = time.monotonic()

    # Steady numbers: the badge, and "Keep" enabled.
    badge = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"\bSteady$"))
    expect(badge.first).to_be_visible(timeout=STEADY_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Keep this result")).to_be_enabled(timeout=30_000)
    print(f"\nlive: steady {time.monotonic() - t0:.1f} s after Start")
    expect(page.get_by_test_id("stMetric").filter(has_text="Pelvic tilt").first).to_contain_text(
        "±"
    )

    # The video plays and the frames are analysed: both move on between two looks.
    first_video, first = video_time_s(page), read_live_line(page)
    assert first is not None, "the page shows no live rate"
    page.wait_for_timeout(3000)
    later_video, later = video_time_s(page), read_live_line(page)
    assert later is not None, "the page stopped showing the live rate"
    assert later_video > first_video, f"the video did not play on ({first_video} s)"
    assert later.frames > first.frames, f"no frame was analysed ({first.frames} frames)"
    assert later.video_fps > 0 and later.fps > 0, later.line  # both rates shown
    print(f"live: the page says: {later.line}")
    print(
        f"live: video {later.video_fps:.1f} frames/s, analysis {later.fps:.1f} frames/s with "
        f"the lite model; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )

    # Keep the steady result.
    keep = page.get_by_role("button", name="Keep this result")
    expect(keep).to_be_enabled(timeout=30_000)
    keep.click()
    kept = page.get_by_text(re.compile(r"Kept “Live check")).first
    expect(kept).to_be_visible(timeout=15_000)
    title = re.search(r"\((.+?)\)", kept.inner_text())
    assert title, kept.inner_text()
    pattern_title = title.group(1)
    assert CAMERA_SAMPLE.name == "increased_curve_side.jpg"
    assert pattern_title.startswith("Increased curve")

    # Stop the camera so the rest runs on a quieter machine.
    stop_camera(page)

    # The report lists it and its PDF names the pattern.
    open_page(page, "Report")
    expect(page.get_by_text("1 result kept").first).to_be_visible(timeout=30_000)
    expect(
        page.get_by_test_id("stMarkdownContainer")
        .filter(has_text=re.compile(r"Live check \d\d:\d\d:\d\d"))
        .first
    ).to_be_visible()
    pdf_button = (
        page.get_by_test_id("stDownloadButton")
        .filter(has_text=re.compile("PDF", re.IGNORECASE))
        .first
    )
    with page.expect_download(timeout=60_000) as download_info:
        pdf_button.click()
    target = tmp_path / "report.pdf"
    download_info.value.save_as(str(target))
    data = target.read_bytes()
    assert data[:5] == b"%PDF-"
    text = pdf_text(data)
    short = pattern_title.split("/")[0].strip()
    assert short.lower() in text.lower(), text[:2000]
