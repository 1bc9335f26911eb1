"""End to end in headless Chromium: nothing is cut off on a laptop (1280 × 900) or a phone
(390 × 844), and on the laptop a photo's result shows without scrolling.

One browser session per screen size, opened at that size, goes through the app as a person
would: a photo on Photo check (kept, saved to history with its picture), a steady live
result on Live check (kept, saved), then Report, History (four weekly checks before these)
and About. On each page every metric value, button label and table is checked: one cut
with an ellipsis, clipped by its own box or a box around it, running off the screen, or a
table that has to scroll sideways, is reported with its text. The check itself is first
tried on one made-up element of each kind, so it cannot pass by seeing nothing.

The server is this module's own (its own history file), so the checks saved here do not
change what the other tests see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from posture_cam.history.store import ENV_DATA_DIR, HISTORY_FILE
from posture_cam.pose.models import ModelUnavailableError
from tests.e2e import harness

pytestmark = pytest.mark.e2e

STEADY_TIMEOUT_MS = 180_000
SCREENS = {"laptop": (1280, 900), "phone": (390, 844)}

# Metric values, button labels (the WebRTC component's own buttons live in an iframe) and
# tables (st.table; the History page's data grid scrolls by design and is left out).
CHECKED = (
    '[data-testid="stMetricValue"], [data-testid^="stBaseButton"], '
    '[data-testid="stPopoverButton"], [data-testid="stDownloadButton"] button, '
    '[data-testid="stTable"]'
)

CUT_OFF_JS = """
(selector) => {
  const cut = [];
  const screenWidth = document.documentElement.clientWidth;
  const name = (root) => (root.innerText || "").trim().slice(0, 80) || root.outerHTML.slice(0, 80);
  const clipsX = (style) => ["hidden", "clip", "auto", "scroll"].includes(style.overflowX);
  // The page's own content (a phone's folded sidebar sits off the screen on purpose).
  const main = document.querySelector('[data-testid="stMain"]');
  for (const root of main.querySelectorAll(selector)) {
    if (root.getClientRects().length === 0) continue;  // not shown
    // The icon buttons a data grid shows while the pointer rests on it (Streamlit's own
    // toolbar, no label): the pointer left there by a click can bring them up at any time.
    if (root.dataset.testid === "stBaseButton-elementToolbar") continue;
    const box = root.getBoundingClientRect();
    // Off the screen sideways: the page would have to be scrolled or zoomed to read it.
    if (box.left < -1 || box.right > screenWidth + 1) {
      cut.push([name(root), "off the screen"]);
      continue;
    }
    // Clipped by a box around it that is narrower than it (a column, a card).
    let clipped = false;
    for (let a = root.parentElement; a && a !== document.body; a = a.parentElement) {
      if (!clipsX(getComputedStyle(a))) continue;
      const outer = a.getBoundingClientRect();
      if (box.left < outer.left - 1 || box.right > outer.right + 1) { clipped = true; break; }
    }
    if (clipped) { cut.push([name(root), "clipped by a box around it"]); continue; }
    // Cut inside: its text (or a table's columns) wider than a box that clips or scrolls.
    for (const el of [root, ...root.querySelectorAll("*")]) {
      // Text for screen readers only sits in a box a pixel wide: not shown, not cut.
      if (el.clientWidth <= 2) continue;
      const style = getComputedStyle(el);
      // An icon is a word drawn as one glyph ("add"): its box is the glyph's, not the word's.
      if (style.fontFamily.includes("Material")) continue;
      const clips = style.textOverflow === "ellipsis" || clipsX(style);
      if (clips && el.scrollWidth > el.clientWidth + 1) {
        cut.push([name(root), "wider than its own box"]);
        break;
      }
    }
  }
  return cut;
}
"""

# One made-up element per kind of cut, put at the end of the page's content.
PROBES_JS = """
() => {
  const box = document.createElement("div");
  box.id = "cut-probes";
  box.innerHTML = `
    <button data-testid="stBaseButton-probe" style="width:40px;white-space:nowrap;
      overflow:hidden;text-overflow:ellipsis">Probe label too long for its button</button>
    <div style="width:40px;overflow:hidden"><div data-testid="stMetricValue"
      style="width:300px;white-space:nowrap">Probe value wider than its column</div></div>
    <div data-testid="stTable" style="width:60px;overflow-x:auto"><table><tr>
      <td style="white-space:nowrap">Probe table wider than the page</td></tr></table></div>
    <button data-testid="stBaseButton-probe" style="position:relative;left:99999px">
      Probe button off the screen</button>`;
  document.querySelector('[data-testid="stMainBlockContainer"]').appendChild(box);
}
"""
PROBES = (
    ("Probe label too long for its button", "wider than its own box"),
    ("Probe value wider than its column", "clipped by a box around it"),
    ("Probe table wider than the page", "wider than its own box"),
    ("Probe button off the screen", "off the screen"),
)


def cut_off(page: Any) -> list[tuple[str, str]]:
    """The metric values, button labels and tables that do not fit: (text, how)."""
    return [(text, how) for text, how in page.evaluate(CUT_OFF_JS, CHECKED)]


def _detector_sees_each_kind_of_cut(page: Any) -> None:
    page.evaluate(PROBES_JS)
    try:
        found = cut_off(page)
        missed = [p for p in PROBES if p not in found]
        assert not missed, f"the check missed {missed}; it found {found}"
    finally:
        page.evaluate("() => document.getElementById('cut-probes').remove()")


def go(page: Any, title: str) -> None:
    """Open a page from the sidebar, which a phone keeps folded away (folded again after)."""
    link = page.get_by_test_id("stSidebarNavLink").filter(has_text=title).first
    link.wait_for()
    box = link.bounding_box()
    folded = box is None or box["x"] + box["width"] <= 0
    if folded:
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(link).to_be_in_viewport(ratio=1)
    harness.open_page(page, title)
    if folded:
        page.get_by_test_id("stSidebarCollapseButton").click()
        expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    page.wait_for_timeout(800)  # let the page settle (fonts, images, columns)


def assert_nothing_cut(page: Any, where: str) -> None:
    cut = cut_off(page)
    assert not cut, f"{where}: cut off: {cut}"


def assert_in_first_screen(page: Any, locator: Any, where: str) -> None:
    """``locator`` lies wholly in the window as the page opened (no scrolling)."""
    height = page.viewport_size["height"]
    box = locator.bounding_box()
    assert box is not None, f"{where}: not shown"
    top, bottom = box["y"], box["y"] + box["height"]
    assert top >= 0 and bottom <= height, (
        f"{where}: {locator.inner_text()!r} spans {top:.0f}–{bottom:.0f} px, "
        f"the window shows 0–{height} px"
    )


def save_to_history(page: Any, label: str) -> None:
    """Save the result on the page to history with a label and its picture."""
    # Streamlit keeps a hidden copy of a popover's button (display: none) beside it.
    button = page.get_by_test_id("stPopoverButton").filter(has_text="Save to history", visible=True)
    field = page.get_by_label("Label (optional)")
    # A click that lands while the page reruns (just after "Keep") can be lost: click again.
    for attempt in range(3):
        button.first.click()
        try:
            expect(field).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    field.fill(label)
    page.get_by_text("Also keep the picture").click()
    page.get_by_role("button", name="Save", exact=True).click()
    saved = page.get_by_role("button", name=re.compile(r"Saved to history \(#\d+\)"))
    expect(saved.first).to_be_visible(timeout=30_000)


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.AppServer]:
    """The app with a history of its own: four weekly checks of the samples."""
    root = tmp_path_factory.mktemp("layout")
    try:
        harness.fill_history(root / "data" / HISTORY_FILE)
    except ModelUnavailableError as exc:
        pytest.fail(f"the lite pose model is not cached: {exc}")
    try:
        with harness.app_server(
            root / "streamlit.log", env={ENV_DATA_DIR: str(root / "data")}
        ) as server:
            yield server
    except harness.HarnessError as exc:
        pytest.fail(str(exc))


@pytest.mark.parametrize("screen", list(SCREENS))
def test_nothing_is_cut_off_and_the_result_shows_without_scrolling(
    screen: str, browser_context: Any, layout_server: harness.AppServer
) -> None:
    width, height = SCREENS[screen]
    size = f"{width}×{height}"
    page = harness.open_app(browser_context, layout_server.url, (width, height))
    try:
        _detector_sees_each_kind_of_cut(page)

        # Photo check: on a laptop the result card's title, confidence and both numbers
        # are in the first screen.
        go(page, "Photo check")
        upload = page.get_by_test_id("stFileUploaderDropzoneInput")
        upload.set_input_files(str(harness.SAMPLES / "increased_curve_side.jpg"))
        title = page.get_by_text("Increased curve / anterior pelvic tilt").first
        expect(title).to_be_visible(timeout=120_000)
        metrics = page.get_by_test_id("stMetric")
        tilt = metrics.filter(has_text="Pelvic tilt").first.get_by_test_id("stMetricValue")
        curve = metrics.filter(has_text="Lower-back curve").first.get_by_test_id("stMetricValue")
        expect(tilt).to_contain_text("±")
        expect(curve).to_contain_text("±")
        confidence = page.get_by_text(re.compile(r"^Confidence\b")).first
        page.wait_for_timeout(1000)  # the overlay picture loads and the columns settle
        if screen == "laptop":
            for element, what in ((title, "pattern"), (confidence, "confidence")):
                assert_in_first_screen(page, element, f"Photo check {size}, {what}")
            for element, what in ((tilt, "pelvic tilt"), (curve, "lower-back curve")):
                assert_in_first_screen(page, element, f"Photo check {size}, {what}")
        assert_nothing_cut(page, f"Photo check at {size}")
        page.get_by_role("button", name="Keep in report").first.click()
        expect(page.get_by_role("button", name="Kept in report").first).to_be_visible()
        save_to_history(page, f"{screen} photo")
        assert_nothing_cut(page, f"Photo check (kept, saved) at {size}")

        # Live check: the steady numbers, the panel's buttons, kept and saved.
        go(page, "Live check")
        frame = page.frame_locator(harness.WEBRTC_IFRAME)
        frame.get_by_role("button", name="Start").click(timeout=60_000)
        steady = page.get_by_test_id("stMarkdownContainer").filter(
            has_text=re.compile(r"\bSteady$")
        )
        expect(steady.first).to_be_visible(timeout=STEADY_TIMEOUT_MS)
        live_tilt = page.get_by_test_id("stMetric").filter(has_text="Pelvic tilt").first
        expect(live_tilt).to_contain_text("±")
        assert_nothing_cut(page, f"Live check at {size}")
        keep = page.get_by_role("button", name="Keep this result")
        expect(keep).to_be_enabled(timeout=30_000)
        keep.click()
        expect(page.get_by_text(re.compile(r"Kept “Live check")).first).to_be_visible(
            timeout=15_000
        )
        save_to_history(page, f"{screen} live")
        assert_nothing_cut(page, f"Live check (kept, saved) at {size}")
        harness.stop_camera(page)

        # Report: the two kept results, the history, the downloads.
        go(page, "Report")
        expect(page.get_by_text("2 results kept").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Your history").first).to_be_visible()
        assert_nothing_cut(page, f"Report at {size}")

        # History: baseline values, charts, the table, the kept pictures, the controls.
        go(page, "History")
        latest = page.get_by_text(re.compile(r"Latest check \(#\d+\) against your baseline"))
        expect(latest.first).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stVegaLiteChart").nth(1)).to_be_visible(timeout=30_000)
        kept = page.get_by_test_id("stImageCaption").filter(has_text=f"{screen} live")
        expect(kept.first).to_be_visible()
        assert_nothing_cut(page, f"History at {size}")

        # About: its tables (conventions, accuracy, thresholds) fit the page.
        go(page, "About")
        expect(page.get_by_test_id("stTable").first).to_be_visible()
        assert_nothing_cut(page, f"About at {size}")
    finally:
        page.close()
