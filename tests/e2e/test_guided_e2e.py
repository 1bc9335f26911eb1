"""The guided checks end to end: headless Chromium, a fake camera, the result, the PDF.

Each check gets its own browser, whose fake webcam plays material made from
``tests/data/guided`` and timed to the check's prompts: one body at four set pelvic tilts
(relaxed, tipped forward, tucked under, relaxed again); one body breathing, its front
outline moved by known amounts; two lying renders, the left then the right leg hanging.
Each test follows the prompts on the Live page to the result card, keeps it and finds its
section in the downloaded PDF. The app server is the suite's.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from playwright.sync_api import expect

from bench import check_material
from posture_cam.live.guided import STEPS
from tests.e2e import harness
from tests.e2e.harness import (
    WEBRTC_IFRAME,
    AppServer,
    letterbox_array,
    letterbox_bgr,
    open_page,
)
from tests.e2e.test_app_e2e import pdf_text

DATA = harness.REPO / "tests" / "data" / "guided"
FPS = 6
RESULT_TIMEOUT_MS = 150_000


@contextlib.contextmanager
def _browser(root: Path, camera: Path, app_server: AppServer, playwright: Any) -> Iterator[Any]:
    """A tab of a headless Chromium whose webcam plays ``camera``."""
    try:
        with harness.chromium_context(root, camera, playwright) as context:
            page = harness.open_app(context, app_server.url)
            yield page
            page.close()
    except harness.HarnessError as exc:
        pytest.fail(str(exc))
    finally:
        shutil.rmtree(root / "home", ignore_errors=True)


def _camera(pictures: list[tuple[Any, float]], fps: int, path: Path) -> Path:
    """A y4m playing each RGB picture (or list of frames at ``fps``) for its seconds."""
    frames = []
    for rgb, seconds in pictures:
        if isinstance(rgb, list):
            frames.extend(rgb)
        else:
            frames.extend([rgb] * round(seconds * fps))
    return check_material.write_y4m(frames, fps, path)


def _picture(name: str) -> Any:
    return cv2.cvtColor(letterbox_bgr(DATA / name), cv2.COLOR_BGR2RGB)


def _run_to_result(page: Any, title: str, first_step: str, *, recorded: bool = False) -> None:
    """Open the check on the Live page, start the camera, wait for the result and keep it;
    with ``recorded``, the recording is measured after the last step with its progress."""
    open_page(page, "Live check")
    page.get_by_text(title, exact=True).click()
    expect(page.get_by_text(first_step).first).to_be_visible()
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Start").click(timeout=60_000)
    # The steps, one after the other, with their countdown.
    expect(page.get_by_text("s left)").first).to_be_visible(timeout=60_000)
    if recorded:
        expect(page.get_by_text("frames recorded so far").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Measuring the recording:").first).to_be_visible(
            timeout=RESULT_TIMEOUT_MS
        )
    keep = page.get_by_role("button", name="Keep in report")
    expect(keep).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    keep.click()
    expect(page.get_by_role("button", name="Kept in report")).to_be_visible(timeout=15_000)
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Stop").click(timeout=30_000)


def _report_pdf_text(page: Any, tmp_path: Path) -> str:
    open_page(page, "Report")
    pdf_button = page.get_by_test_id("stDownloadButton").filter(has_text="PDF").first
    with page.expect_download(timeout=60_000) as download_info:
        pdf_button.click()
    target = tmp_path / "report.pdf"
    download_info.value.save_as(str(target))
    return pdf_text(target.read_bytes())


def _metric_deg(page: Any, label: str) -> float:
    """The number before the ± of a result card's metric."""
    card = page.get_by_test_id("stMetric").filter(has_text=label).first
    return float(card.inner_text().split(label)[1].split("±")[0])


def test_range_check_finds_the_four_holds_and_reaches_the_pdf(
    app_server: AppServer, tmp_path: Path, playwright_session: Any
) -> None:
    steps = STEPS["pelvic_tilt_range"]
    renders = [
        ("relaxed", DATA / "range_t6.jpg"),
        ("forward", DATA / "range_t22.jpg"),
        ("tucked", DATA / "range_t-2.jpg"),
        ("relaxed_again", DATA / "range_t6.jpg"),
    ]
    # Holds of 5 s with 1-s moves between them line up with the 5-, 6-, 6- and 6-s steps.
    # The prompts start with the first frame the app receives, a second or two after the
    # file starts playing: getting into place is played 1.5 s longer, so that every hold
    # keeps 3.5 s or more within its step for a start 0 to 3 s late.
    hold_s, move_s, late_s = 5.0, 1.0, 1.5
    assert [s.seconds for s in steps[1:]] == [hold_s, hold_s + move_s, *[hold_s + move_s] * 2]
    frames, truth = check_material.range_video(
        renders, fps=float(FPS), hold_s=hold_s, transition_s=move_s, max_side_px=None, seed=4
    )
    relaxed = _picture("range_t6.jpg")
    camera = _camera(
        [
            (relaxed, steps[0].seconds + late_s),
            ([letterbox_array(f) for f in frames], 0.0),
            (relaxed, 5.0),  # until after the last step: the file loops
        ],
        FPS,
        tmp_path / "range.y4m",
    )
    with _browser(tmp_path / "chromium", camera, app_server, playwright_session) as page:
        _run_to_result(page, "Pelvic-tilt range", "Hold each position still", recorded=True)
        forward = _metric_deg(page, "Tipped forward from relaxed")
        backward = _metric_deg(page, "Tucked under from relaxed")
        measured = page.get_by_text("frames could be measured").first.inner_text()
        text = _report_pdf_text(page, tmp_path)
    t = {h.position: h.asis_psis_deg for h in truth}
    base = (t["relaxed"] + t["relaxed_again"]) / 2
    print(
        f"range check in the browser: forward {forward:.1f}° (true {t['forward'] - base:.1f}°),"
        f" tucked {backward:.1f}° (true {base - t['tucked']:.1f}°); {measured}"
    )
    # The camera halves the render: a rough check of sign and size, not of accuracy.
    assert forward == pytest.approx(t["forward"] - base, abs=6.0)
    assert backward == pytest.approx(base - t["tucked"], abs=5.0)
    assert "Pelvic-tilt range" in text and "Whole tilt range" in text
    assert "From live camera" in text and "Levine" in text


def test_breathing_check_shows_its_traces_and_reaches_the_pdf(
    app_server: AppServer, tmp_path: Path, playwright_session: Any
) -> None:
    seconds = sum(s.seconds for s in STEPS["breathing"]) + 5.0
    # Drawn on the full-size render, then shrunk by half into the 640 × 480 camera frame:
    # 3 and 9 px of chest and belly movement there, well above the smallest detectable.
    clip = check_material.breathing_video(
        DATA / "range_t6.jpg",
        rate_per_min=15.0,
        chest_p2p_px=6.0,
        belly_p2p_px=18.0,
        duration_s=seconds,
        fps=float(FPS),
        max_side_px=None,
        seed=2,
    )
    # letterbox_array only pads and resizes: the channel order goes through unchanged.
    frames = [letterbox_array(f) for f in clip.frames]
    camera = _camera([(frames, seconds)], FPS, tmp_path / "breathing.y4m")
    with _browser(tmp_path / "chromium", camera, app_server, playwright_session) as page:
        _run_to_result(page, "Breathing", "Breathe quietly, as you normally do")
        rate = page.get_by_test_id("stMetric").filter(has_text="Breathing rate").first
        value = float(rate.inner_text().split("Breathing rate")[1].split("±")[0])
        assert value == pytest.approx(15.0, abs=1.0)
        text = _report_pdf_text(page, tmp_path)
    assert "Breathing rate" in text and "chest in blue, belly in orange" in text
    assert "Kaneko" in text


def test_hip_flexor_test_reads_both_legs_and_reaches_the_pdf(
    app_server: AppServer, tmp_path: Path, playwright_session: Any
) -> None:
    steps = STEPS["hip_flexor_test"]
    left_s = steps[0].seconds + steps[1].seconds
    right_s = steps[2].seconds + steps[3].seconds + 5.0
    camera = _camera(
        [(_picture("thomas_above.jpg"), left_s), (_picture("thomas_below.jpg"), right_s)],
        4,
        tmp_path / "thomas.y4m",
    )
    with _browser(tmp_path / "chromium", camera, app_server, playwright_session) as page:
        _run_to_result(page, "Hip-flexor test (modified Thomas)", "Use a firm, stable bed")
        text = _report_pdf_text(page, tmp_path)
    assert "Left thigh to horizontal" in text and "Right thigh to horizontal" in text
    assert "(above)" in text and "(below)" in text
    assert "Ferber" in text
