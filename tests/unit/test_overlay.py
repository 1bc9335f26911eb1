"""Overlay drawing shortcuts of the live view give the same pixels as drawing everything.

Label boxes and the live status bar are drawn once per text and pasted afterwards; the
live processor may draw on the frame it is handed instead of a copy. Each is checked here
against plain OpenCV drawing on random pictures, edges of the picture included.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posture_cam.live.banner import STATUS_RGB, draw_banner
from posture_cam.live.processor import LiveProcessor
from posture_cam.media import draw
from posture_cam.types import Detection

TEXTS = ["L1", "Pelvic tilt 12.3 ± 3.1 deg", "Trunk +3 deg  Hip 171 deg", "gjpqy|_()[]"]


def _label_drawn(img: np.ndarray, text: str, org: tuple[int, int], size: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, int(round(size * 2)))
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    x = int(np.clip(org[0], 0, max(img.shape[1] - tw - 4, 0)))
    y = int(np.clip(org[1], th + 4, img.shape[0] - base - 2))
    cv2.rectangle(img, (x - 2, y - th - 4), (x + tw + 2, y + base + 2), draw.COLORS["text_bg"], -1)
    cv2.putText(img, text, (x, y), font, size, (255, 255, 255), thick, cv2.LINE_AA)


def _banner_drawn(img: np.ndarray, text: str, status: str) -> np.ndarray:
    h, w = img.shape[:2]
    font = cv2.FONT_HERSHEY_SIMPLEX
    size = max(0.45, min(h, w) / 900)
    thick = 1 if size < 0.7 else 2
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    while tw > w - 16 and len(text) > 11:
        text = text[: max(8, int(len(text) * (w - 16) / tw) - 3)] + "..."
        (tw, th), base = cv2.getTextSize(text, font, size, thick)
    bar = min(th + base + 14, h)
    under = img[h - bar :].copy()
    cv2.rectangle(img, (0, h - bar), (w, h), STATUS_RGB.get(status, (90, 90, 90)), -1)
    cv2.putText(img, text, (8, h - base - 7), font, size, (255, 255, 255), thick, cv2.LINE_AA)
    return under


@pytest.mark.parametrize("size", [0.4, 0.5, 0.8, 1.6])
@pytest.mark.parametrize(("h", "w"), [(480, 640), (20, 30), (700, 60)])
def test_pasted_labels_equal_drawn_ones(size: float, h: int, w: int) -> None:
    rng = np.random.default_rng(7)
    for text in TEXTS:
        for org in [(10, 48), (0, 0), (-50, -50), (w - 5, h - 3), (w + 50, h + 50)]:
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            want = img.copy()
            _label_drawn(want, text, org, size)
            draw._label(img, text, org, size)
            np.testing.assert_array_equal(img, want)


@pytest.mark.parametrize("status", ["steady", "guidance", "unknown"])
@pytest.mark.parametrize(("h", "w"), [(480, 640), (1080, 1920), (10, 640), (480, 20), (1, 1)])
def test_pasted_status_bar_equals_drawn_one(status: str, h: int, w: int) -> None:
    rng = np.random.default_rng(3)
    # A long text on a frame a few pixels wide is cut as far as it goes (and must not hang).
    for text in ["STEADY: Increased curve - press Keep   30 fps", "Hold still...", "x" * 300]:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        want = img.copy()
        want_under = _banner_drawn(want, text, status)
        under = draw_banner(img, text, status)
        np.testing.assert_array_equal(img, want)
        np.testing.assert_array_equal(under, want_under)


class _Nobody:
    """A detector that finds no one (the frame is annotated with the status bar only)."""

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        return Detection(image_size=(rgb.shape[1], rgb.shape[0]))

    def detect(self, rgb: np.ndarray) -> Detection:
        return Detection(image_size=(rgb.shape[1], rgb.shape[0]))

    def close(self) -> None:
        pass


def test_process_draws_on_a_copy_unless_in_place() -> None:
    proc = LiveProcessor(_Nobody, "lite", people_detector_factory=_Nobody)
    frame = np.full((480, 640, 3), 200, np.uint8)
    out = proc.process(frame, 0.0)
    assert out is not frame and (frame == 200).all() and not (out == 200).all()
    own = frame.copy()
    out = proc.process(own, 40.0, in_place=True)
    assert out is own and not (own == 200).all()
    assert proc.state.overlay_rgb is own
    # A frame that cannot be drawn on in place (a strided view) is copied instead.
    view = np.full((480, 1280, 3), 200, np.uint8)[:, ::2]
    out = proc.process(view, 80.0, in_place=True)
    assert out is not view and (view == 200).all()


@pytest.mark.parametrize(
    ("value", "decimals", "sign", "text"),
    [
        (-0.3, 0, True, "0°"),
        (0.4, 0, True, "0°"),
        (-0.04, 1, False, "0.0°"),
        (-4.6, 0, True, "−5°"),
        (4.4, 0, True, "+4°"),
        (177.2, 0, False, "177°"),
        (-12.34, 1, False, "−12.3°"),
        (float("nan"), 1, False, "?"),
    ],
)
def test_overlay_angles_read_in_degrees_and_never_minus_zero(
    value: float, decimals: int, sign: bool, text: str
) -> None:
    assert draw._angle(value, decimals, sign=sign) == text


def test_labels_go_to_the_corner_that_covers_least_of_the_person() -> None:
    block, size = (200, 90), (720, 1280)
    # Nobody found: the top left.
    assert draw._labels_origin(block, size, None, pad=10) == (10, 10)
    # A person standing right of the middle, head near the top: the top left is free.
    assert draw._labels_origin(block, size, (300.0, 40.0, 500.0, 1200.0), pad=10) == (10, 10)
    # Head near the top left: the top right.
    assert draw._labels_origin(block, size, (100.0, 20.0, 300.0, 1200.0), pad=10) == (510, 10)
    # A person filling the width at the top but not the bottom: a bottom corner.
    x, y = draw._labels_origin(block, size, (0.0, 0.0, 720.0, 1100.0), pad=10)
    assert y == 1280 - 90 - 10
