"""Picture files for the image-loading tests, made with Pillow and numpy (nothing is read)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

ORANGE = (200, 120, 40)
WHITE = (255, 255, 255)
Colour = tuple[int, int, int]
Probe = tuple[tuple[int, int], Colour, int]  # ((row, col), expected RGB, tolerance)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def heif_ready() -> None:
    """Let Pillow *write* HEIC in tests (load_image registers the opener by itself)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def solid(
    width: int, height: int, colour: tuple[int, ...] = ORANGE, mode: str = "RGB"
) -> Image.Image:
    return Image.new(mode, (width, height), colour)


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    """Detailed content, so compressed data fills the file (truncation hits pixel data)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming ``width`` x ``height``, with no real pixels.

    Decoding it would fail (the IDAT holds one byte), so a ``too_large`` error proves
    the size was refused from the header, before any decoding or allocation.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", b"x")
        + png_chunk(b"IEND", b"")
    )


def block_scene() -> np.ndarray:
    """A 64 x 96 'upright' picture of 2 x 3 coloured 32-px blocks: no symmetry at all."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]
    scene = np.zeros((64, 96, 3), dtype=np.uint8)
    for index, colour in enumerate(colours):
        row, col = divmod(index, 3)
        scene[row * 32 : (row + 1) * 32, col * 32 : (col + 1) * 32] = colour
    return scene


def block_centres(rgb: np.ndarray) -> np.ndarray:
    """The centre pixel of every 32-px block: robust to lossy codecs' edge ringing."""
    return rgb[16::32, 16::32].astype(int)


# What each EXIF orientation means, written from the EXIF 2.32 definition (where the
# stored 0th row and 0th column end up), independently of Pillow: display = f(stored).
DISPLAY_FROM_STORED: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,  # 0th row top, 0th column left
    2: lambda a: a[:, ::-1],  # mirrored left-right
    3: lambda a: a[::-1, ::-1],  # rotated 180°
    4: lambda a: a[::-1],  # mirrored top-bottom
    5: lambda a: a.swapaxes(0, 1),  # transposed (main diagonal)
    6: lambda a: np.rot90(a, k=-1),  # needs 90° clockwise to view
    7: lambda a: np.rot90(a, k=2).swapaxes(0, 1),  # transverse (anti-diagonal)
    8: lambda a: np.rot90(a, k=1),  # needs 90° anticlockwise to view
}
STORED_FROM_DISPLAY = {**DISPLAY_FROM_STORED, 6: DISPLAY_FROM_STORED[8], 8: DISPLAY_FROM_STORED[6]}


def with_orientation(scene: np.ndarray, orientation: int, fmt: str) -> bytes:
    """Encode ``scene`` as a camera would: pixels as stored, plus the EXIF tag to view them."""
    stored = np.ascontiguousarray(STORED_FROM_DISPLAY[orientation](scene))
    exif = Image.Exif()
    exif[0x0112] = orientation
    params: dict[str, object] = {"exif": exif.tobytes()}
    if fmt == "JPEG":
        params |= {"quality": 95, "subsampling": 0}
    elif fmt == "WEBP":
        params |= {"lossless": True}
    elif fmt == "HEIF":
        heif_ready()
        params |= {"quality": 95}
    return encode(Image.fromarray(stored), fmt, **params)


def jpeg_rgb() -> bytes:
    return encode(solid(96, 64), "JPEG", quality=95)


def heic() -> bytes:
    heif_ready()
    return encode(solid(96, 64), "HEIF", quality=90)


def avif() -> bytes:
    return encode(solid(96, 64), "AVIF", quality=90)


def truncated_png() -> bytes:
    data = encode(noise(128, 128), "PNG")
    return data[: len(data) // 2]
