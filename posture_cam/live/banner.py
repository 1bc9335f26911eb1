"""The status bar drawn along the bottom of the live video: one line of text on a colour.

The colour says the state (green steady, amber measuring, red guidance, grey waiting); the
text is a short version of what the page says in full. The bar is opaque and drawn once per
text and frame size (cached), then pasted onto each frame.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from posture_cam.measure.classify import Assessment
from posture_cam.measure.smoothing import WindowSummary

__all__ = ["BANNER_TEXT", "STATUS_RGB", "banner_text", "draw_banner"]

# Short texts by guidance code (the page shows the full message and hint).
BANNER_TEXT: dict[str, str] = {
    "no_person": "No one in view: stand side-on, whole body in the picture",
    "several_people": "Only one person in view, please",
    "body_cropped": "Step back: whole body, ears to toes, in view",
    "not_side_view": "Turn side-on to the camera",
    "person_too_small": "Come closer to the camera",
    "not_standing": "Stand upright and relaxed",
    "no_outline": "Body outline not found: plain background, fitted clothes",
    "outline_gaps": "Back outline unclear: fitted clothes, hair tied up",
    "arm_behind_back": "Let your arms hang at your sides",
    "measuring": "Measuring... hold still",
    "hold_still": "Hold still...",
}

# Bar colour by status (RGB).
STATUS_RGB: dict[str, tuple[int, int, int]] = {
    "steady": (30, 150, 70),
    "measuring": (200, 140, 0),
    "unsteady": (200, 140, 0),
    "guidance": (190, 50, 45),
    "waiting": (90, 90, 90),
    "error": (150, 0, 0),
}


def banner_text(
    status: str,
    summary: WindowSummary,
    assessment: Assessment | None,
    fps: float,
    error: str | None,
) -> str:
    """The bar's text (ASCII: OpenCV's fonts have no other characters)."""
    if error:
        text = "Processing error - see the page"
    elif status == "steady" and assessment is not None:
        text = f"STEADY: {assessment.title} - press Keep"
    elif status == "waiting":
        text = "Starting..."
    else:
        g = summary.guidance
        text = BANNER_TEXT.get(g.code, g.message) if g is not None else "Measuring..."
    if fps > 0:
        text = f"{text}   {fps:.0f} fps"
    return text.encode("ascii", "replace").decode("ascii")


def draw_banner(img: np.ndarray, text: str, status: str) -> np.ndarray:
    """A coloured strip with one line of text along the bottom of ``img`` (in place).

    Returns a copy of the rows it covers, as they were (for a snapshot without the banner).
    """
    h, w = img.shape[:2]
    strip = _banner_strip(text, status, w, h)
    under = img[h - strip.shape[0] :].copy()
    img[h - strip.shape[0] :] = strip
    return under


@functools.lru_cache(maxsize=32)
def _banner_strip(text: str, status: str, w: int, h: int) -> np.ndarray:
    """The banner's rows for a ``w`` × ``h`` frame, drawn once per text (read-only).

    The strip is opaque, so pasting a cached one gives the same pixels as drawing it again;
    its text changes a few times a second at most.
    """
    font = cv2.FONT_HERSHEY_SIMPLEX
    size = max(0.45, min(h, w) / 900)
    thick = 1 if size < 0.7 else 2
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    # Cut long texts to the frame width, keeping at least 8 characters and "..." (longer than
    # 11 to start with, so that every cut shortens it: on a frame a few pixels wide the text
    # never fits, and the loop must still end).
    while tw > w - 16 and len(text) > 11:
        text = text[: max(8, int(len(text) * (w - 16) / tw) - 3)] + "..."
        (tw, th), base = cv2.getTextSize(text, font, size, thick)
    bar = min(th + base + 14, h)
    strip = np.empty((bar, w, 3), np.uint8)
    strip[:] = STATUS_RGB.get(status, STATUS_RGB["waiting"])
    cv2.putText(strip, text, (8, bar - base - 7), font, size, (255, 255, 255), thick, cv2.LINE_AA)
    strip.flags.writeable = False
    return strip
