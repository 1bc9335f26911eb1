"""Encoding pictures for the page, the report, files and recordings: JPEG bytes from RGB
arrays and back."""

from __future__ import annotations

import numpy as np

__all__ = ["decode_jpeg", "encode_jpeg"]


def encode_jpeg(rgb: np.ndarray, *, quality: int = 88, max_side_px: int | None = None) -> bytes:
    """JPEG bytes of an ``(H, W, 3)`` uint8 RGB image.

    Args:
        rgb: the image; it is not changed.
        quality: JPEG quality, 1-100.
        max_side_px: downscale (area-averaged) so that the longer side is at most this many
            pixels; None keeps the size.

    Raises:
        ValueError: the image could not be encoded (e.g. it is empty).
    """
    import cv2  # imported here so that importing this module stays cheap

    h, w = rgb.shape[:2]
    if max_side_px is not None and max(h, w) > max_side_px:
        scale = max(h, w) / max_side_px
        size = (max(1, round(w / scale)), max(1, round(h / scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise ValueError("could not encode the image as JPEG")
    return bytes(buf.tobytes())


def decode_jpeg(data: bytes) -> np.ndarray:
    """The ``(H, W, 3)`` uint8 RGB image of JPEG bytes (what :func:`encode_jpeg` made).

    Raises:
        ValueError: the bytes are not a JPEG image.
    """
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("could not decode the JPEG image")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
