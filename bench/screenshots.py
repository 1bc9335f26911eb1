"""The README's screenshots: every page of the real app in headless Chromium.

    python bench/screenshots.py [--out docs/screenshots]

Starts ``streamlit run app.py`` on a free port of 127.0.0.1 with its history in a temporary
folder (four weekly checks of the samples, lite model: a baseline and a real change) and
headless Chromium whose fake camera plays the increased-curve sample. Then, in one browser
session on a 1280 × 900 laptop screen, what a person sees without scrolling: Photo check
with that sample uploaded (``photo.png``), Live check once the result is steady
(``live.png``), Report after keeping it (``report.png``), History from the latest check's
verdict down to the charts (``history.png``) and About (``about.png``). Needs Debian's
``chromium`` and the lite model in the local cache (``posture-cam models fetch --variant
lite``). Not run by the tests.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402 - after the path is set

STEADY_TIMEOUT_MS = 180_000
SCREEN = (1280, 900)
"""The laptop screen the layout test checks (tests/e2e/test_layout_e2e.py)."""


def shoot(page: Any, out: Path, name: str) -> None:
    page.wait_for_timeout(500)  # let images and fonts settle
    # The window, not the whole page: Streamlit scrolls inside it, so a full-page shot would
    # be the window anyway.
    page.screenshot(path=str(out / name))
    print(f"  {out / name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args()
    from bench.models import obtain_model

    if obtain_model("lite") is None:  # the app would obtain it on first use
        return 1
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import expect

    from posture_cam.history.store import ENV_DATA_DIR, HISTORY_FILE

    with tempfile.TemporaryDirectory(prefix="screenshots_") as tmp:
        root = Path(tmp)
        harness.fill_history(root / "data" / HISTORY_FILE)
        y4m = harness.camera_y4m(root / "side.y4m")
        with (
            harness.app_server(
                root / "streamlit.log", env={ENV_DATA_DIR: str(root / "data")}
            ) as server,
            harness.chromium_context(root / "chromium", y4m) as context,
        ):
            page = harness.open_app(context, server.url, SCREEN)
            print(f"screenshots of {server.url} into {out}:")

            harness.open_page(page, "Photo check")
            upload = page.get_by_test_id("stFileUploaderDropzoneInput")
            upload.set_input_files(str(harness.CAMERA_SAMPLE))
            card = page.get_by_text("Increased curve / anterior pelvic tilt").first
            expect(card).to_be_visible(timeout=120_000)
            shoot(page, out, "photo.png")

            harness.start_camera(page)
            steady = page.get_by_test_id("stMarkdownContainer").filter(
                has_text=re.compile(r"\bSteady$")
            )
            expect(steady.first).to_be_visible(timeout=STEADY_TIMEOUT_MS)
            page.wait_for_timeout(3000)  # a few more frames: the rate settles
            shoot(page, out, "live.png")
            page.get_by_role("button", name="Keep this result").click()
            expect(page.get_by_text(re.compile(r"Kept “Live check")).first).to_be_visible(
                timeout=30_000
            )
            harness.stop_camera(page)

            harness.open_page(page, "Report")
            expect(page.get_by_text("1 result kept").first).to_be_visible(timeout=30_000)
            shoot(page, out, "report.png")

            harness.open_page(page, "History")
            expect(page.get_by_test_id("stVegaLiteChart").nth(1)).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1000)  # let the charts draw
            # The verdict and the trend, rather than the baseline settings above them.
            latest = page.get_by_text(re.compile(r"Latest check \(#\d+\) against")).first
            latest.evaluate("e => e.scrollIntoView({block: 'start'})")
            shoot(page, out, "history.png")

            harness.open_page(page, "About")
            shoot(page, out, "about.png")
            page.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
