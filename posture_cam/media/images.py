"""Reading user photos into 8-bit RGB arrays, with errors a person can act on.

People upload whatever their phone or computer produced: iPhone HEIC, JPEGs with an EXIF
orientation tag instead of rotated pixels, PNG screenshots with transparency, 16-bit
scans, animated GIFs, and sometimes files that are not images at all. :func:`load_image`
turns all of these into one thing, a :class:`LoadedImage` holding an ``(H, W, 3)`` uint8
RGB array the right way up, or raises :class:`ImageLoadError` with a stable ``code``, a
``message`` saying what went wrong and a ``hint`` saying what to do.

Safety rules kept here:

* The pixel count is checked from the header, before any pixel data is decoded, so a
  small file claiming 50000 x 50000 pixels is refused without allocating gigabytes.
* Truncated or damaged files are errors. Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES``
  must stay ``False`` (its default); this module never changes it, and never changes
  ``Image.MAX_IMAGE_PIXELS`` or warnings filters either, because all three are
  process-wide and Streamlit runs sessions in parallel threads.
* Only the formats of :data:`~.image_formats.PILLOW_FORMATS` are handed to Pillow's
  decoders; its other plugins (EPS runs Ghostscript, for example) are never used for uploads.

Nothing happens at import time: the HEIF plugin is registered and OpenCV is imported on
first use.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .image_errors import ERROR_CODES, ErrorCode, ImageLoadError, corrupt, dims, quoted, too_large
from .image_formats import DECODE_ERRORS, available_formats, size_from_header, sniff, unidentified

__all__ = [
    "ERROR_CODES",
    "MAX_PIXELS",
    "MIN_SIDE_PX",
    "ErrorCode",
    "ImageLoadError",
    "LoadedImage",
    "inference_view",
    "load_image",
]

MAX_PIXELS = 100_000_000
"""Default limit on width x height (100 megapixels), checked before decoding."""

MIN_SIDE_PX = 64
"""Shortest side, in pixels, that still shows a body well enough to analyse."""

# Bytes of the file's start used to recognise its type (PDF allows junk before %PDF-
# within the first 1024 bytes, so read that much).
_HEAD_BYTES = 1024

_WHITE = (255, 255, 255)


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A photo decoded to 8-bit RGB, the right way up.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 RGB array with the orientation applied: the photo at full
            resolution, or, when :attr:`full_size` is set, decoded at a reduced scale (a
            large JPEG read for the pose model, see :func:`load_image`'s ``reduce_to_px``).
            It is owned by this object; copy it before drawing on it.
        name: File name used in messages (``"uploaded image"`` when none was given).
        format: Pillow's format name: ``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"HEIF"``,
            ``"AVIF"``, ``"GIF"``, ``"BMP"`` or ``"TIFF"``.
        orientation: The EXIF orientation (1-8) the file carried and that has been
            applied to ``rgb``; 1 when the file had none. For HEIF, libheif rotates while
            decoding and this is the tag pillow-heif replaced with 1.
        full_size: ``(width, height)`` of the full photo when ``rgb`` holds it at a
            reduced scale; None when ``rgb`` is the full photo.
        decode_full: decodes the full photo (set with :attr:`full_size`); see
            :attr:`full_rgb`.
    """

    rgb: np.ndarray
    name: str
    format: str
    orientation: int
    full_size: tuple[int, int] | None = None
    decode_full: Callable[[], np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        rgb = self.rgb
        if not isinstance(rgb, np.ndarray):
            raise TypeError(f"rgb must be a numpy array, got {type(rgb).__name__}")
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"rgb must have shape (H, W, 3), got {rgb.shape}")
        if rgb.dtype != np.uint8:
            raise ValueError(f"rgb must have dtype uint8, got {rgb.dtype}")
        if not 1 <= self.orientation <= 8:
            raise ValueError(f"orientation must be an EXIF orientation 1-8, got {self.orientation}")
        if (self.full_size is None) != (self.decode_full is None):
            raise ValueError("full_size and decode_full go together")

    @property
    def width(self) -> int:
        """Width of the full photo in pixels (after orientation)."""
        return self.full_size[0] if self.full_size is not None else int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        """Height of the full photo in pixels (after orientation)."""
        return self.full_size[1] if self.full_size is not None else int(self.rgb.shape[0])

    @property
    def reduction(self) -> float:
        """Full-photo pixels per pixel of :attr:`rgb` (1.0 when ``rgb`` is the full photo)."""
        return max(self.width, self.height) / max(self.rgb.shape[:2])

    @cached_property
    def full_rgb(self) -> np.ndarray:
        """The full photo: :attr:`rgb` itself, or decoded from the file on first use (for
        drawing at full resolution)."""
        if self.decode_full is None:
            return self.rgb
        return self.decode_full()

    def inference_view(self, max_side_px: int) -> tuple[np.ndarray, float]:
        """:func:`inference_view` of the photo: ``(small, scale)`` with ``scale`` in
        full-photo pixels per ``small`` pixel, whatever scale :attr:`rgb` was decoded at."""
        small, scale = inference_view(self.rgb, max_side_px)
        return small, scale * self.reduction


def load_image(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
    reduce_to_px: int | None = None,
) -> LoadedImage:
    """Read a photo from a path or from raw bytes into 8-bit RGB, the right way up.

    Supports JPEG (incl. MPO and CMYK), PNG (incl. 16-bit and palette), WebP, HEIC/HEIF,
    AVIF (when Pillow has it), GIF (first frame), BMP and TIFF. The EXIF orientation is
    applied; every colour mode is converted to RGB, with transparent areas composited on
    white (pose models see a light background, not black holes). 16-bit samples are
    scaled to 8 bits by rounding ``v / 257``. Embedded colour profiles (ICC) are ignored:
    small colour shifts do not matter for pose detection.

    Args:
        source: Path to a file, or the file's contents as ``bytes`` (e.g. from an
            upload widget). ``bytes`` are always contents, never a path.
        name: File name to use in messages and in :attr:`LoadedImage.name`. Defaults to
            the path's last component, or ``"uploaded image"`` for bytes.
        max_pixels: Largest accepted width x height. Checked from the header before
            decoding. Pillow's own process-wide guard (``Image.MAX_IMAGE_PIXELS``,
            refusing above twice its value, about 179 megapixels by default) still
            applies on top of this.
        reduce_to_px: When given, a JPEG at least twice this size on its longest side is
            decoded at a reduced scale (libjpeg's DCT scaling by 1/2, 1/4 or 1/8, the
            largest that keeps the longest side at least this long), which costs a
            fraction of a full decode; :attr:`LoadedImage.full_size` then gives the full
            size and :attr:`LoadedImage.full_rgb` decodes the full photo when it is
            needed. For pictures that are only analysed at that size (the pose model).

    Returns:
        The decoded image.

    Raises:
        ImageLoadError: The file is missing, unreadable, empty, not an image, in a
            format we do not read, damaged, too large or too small. See ``err.code``.
        TypeError: ``source`` is not a path or bytes.
        ValueError: ``max_pixels`` is not a positive integer.
    """
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
        raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    if reduce_to_px is not None and (
        isinstance(reduce_to_px, bool) or not isinstance(reduce_to_px, int) or reduce_to_px < 1
    ):
        raise ValueError(f"reduce_to_px must be a positive integer or None, got {reduce_to_px!r}")
    reduce = None
    if reduce_to_px is not None:
        reduce = (reduce_to_px, lambda: load_image(source, name=name, max_pixels=max_pixels).rgb)
    if isinstance(source, bytes):
        label = name or "uploaded image"
        with io.BytesIO(source) as fp:
            return _load_from_file(fp, label, max_pixels, reduce)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = name or path.name or str(path)
        with _open_path(path, label) as fp:
            return _load_from_file(fp, label, max_pixels, reduce)
    raise TypeError(
        f"source must be a path (str or os.PathLike) or bytes, got {type(source).__name__}"
    )


def inference_view(rgb: np.ndarray, max_side_px: int = 1280) -> tuple[np.ndarray, float]:
    """Downscale an image for the pose model, keeping the factor to map results back.

    Pose models work at a few hundred pixels, so running them on a 12-megapixel photo
    costs time for nothing; overlays, however, should be drawn on the full image.

    Args:
        rgb: ``(H, W, 3)`` uint8 image.
        max_side_px: Longest side of the returned image, in pixels.

    Returns:
        ``(small, scale)``: ``small`` is a new array whose longest side is
        ``max_side_px`` (area-averaged, which avoids aliasing when shrinking), and
        ``scale = full / small`` is the factor that maps coordinates back:
        ``x_full_px = x_small_px * scale``. It is exact for the longest side; the
        shorter side is rounded to whole pixels (error under half a pixel of ``small``).
        If the image already fits, ``rgb`` itself is returned (not a copy) with 1.0.

    Raises:
        ValueError: ``rgb`` is not ``(H, W, 3)`` uint8 or ``max_side_px`` is below 1.
    """
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        shape = getattr(rgb, "shape", type(rgb).__name__)
        raise ValueError(f"rgb must be an (H, W, 3) array, got {shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"rgb must have dtype uint8, got {rgb.dtype}")
    if isinstance(max_side_px, bool) or not isinstance(max_side_px, int) or max_side_px < 1:
        raise ValueError(f"max_side_px must be a positive integer, got {max_side_px!r}")

    height_px, width_px = rgb.shape[:2]
    long_side_px = max(height_px, width_px)
    if long_side_px <= max_side_px:
        return rgb, 1.0
    scale = long_side_px / max_side_px
    size_px = (max(1, round(width_px / scale)), max(1, round(height_px / scale)))

    import cv2  # imported here so that importing this module stays cheap

    small = cv2.resize(rgb, size_px, interpolation=cv2.INTER_AREA)
    return small, scale


# --------------------------------------------------------------------------- reading


def _open_path(path: Path, label: str) -> BinaryIO:
    """Open ``path`` for reading, turning OS errors into :class:`ImageLoadError`."""
    try:
        return path.open("rb")
    except FileNotFoundError as err:
        raise ImageLoadError(
            "unreadable_file",
            f"{quoted(label)} could not be found.",
            "Check the file name and folder, then try again.",
        ) from err
    except IsADirectoryError as err:
        raise ImageLoadError(
            "unreadable_file",
            f"{quoted(label)} is a folder, not an image file.",
            "Choose one photo inside the folder.",
        ) from err
    except PermissionError as err:
        raise ImageLoadError(
            "unreadable_file",
            f"{quoted(label)} could not be opened: permission denied.",
            "Check that your account may read the file, or copy it somewhere you can.",
        ) from err
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ImageLoadError(
            "unreadable_file",
            f"{quoted(label)} could not be read ({reason}).",
            "Check that the file is fully downloaded and available, then try again.",
        ) from err


def _read_head(fp: BinaryIO, label: str) -> bytes:
    """Read the first bytes for type detection and rewind; OS errors become ImageLoadError."""
    try:
        head = fp.read(_HEAD_BYTES)
        fp.seek(0)
    except OSError as err:  # e.g. a directory on some systems, or an I/O error mid-read
        reason = err.strerror or type(err).__name__
        raise ImageLoadError(
            "unreadable_file",
            f"{quoted(label)} could not be read ({reason}).",
            "Check that the file is fully downloaded and available, then try again.",
        ) from err
    return head


# How to read a photo at a reduced scale: the longest side wanted, and how to decode the
# full photo later.
_Reduce = tuple[int, Callable[[], np.ndarray]]


def _load_from_file(
    fp: BinaryIO, label: str, max_pixels: int, reduce: _Reduce | None = None
) -> LoadedImage:
    """Identify, check and decode the image in ``fp`` (positioned at its start)."""
    head = _read_head(fp, label)
    if not head:
        raise ImageLoadError(
            "empty_file",
            f"{quoted(label)} is empty (0 bytes).",
            "The copy or upload may have failed; choose the photo again.",
        )

    kind = sniff(head)
    if kind.refusal is not None:
        code, what, hint = kind.refusal
        raise ImageLoadError(code, f"{quoted(label)} is {what}.", hint)

    formats = available_formats()
    try:
        image = Image.open(fp, formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Pillow refused from the header alone (the warning only arrives as an exception
        # when the application made warnings errors). Either way nothing was decoded.
        pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
        if isinstance(err, Image.DecompressionBombError):
            pillow_limit *= 2
        raise too_large(label, size_from_header(fp), min(max_pixels, pillow_limit)) from err
    except UnidentifiedImageError as err:
        raise unidentified(label, kind.label) from err
    except DECODE_ERRORS as err:
        raise corrupt(label, kind.label) from err

    with image:
        return _decode(image, label, max_pixels, reduce)


def _decode(
    image: Image.Image, label: str, max_pixels: int, reduce: _Reduce | None = None
) -> LoadedImage:
    """Check the header size, decode the first frame, orient it and convert to RGB."""
    fmt = "JPEG" if image.format == "MPO" else str(image.format)
    width_px, height_px = image.size
    if width_px * height_px > max_pixels:
        raise too_large(label, (width_px, height_px), max_pixels)
    if min(width_px, height_px) < MIN_SIDE_PX:
        raise ImageLoadError(
            "too_small",
            f"{quoted(label)} is too small to analyse: {dims(width_px, height_px)}; "
            f"at least {MIN_SIDE_PX} pixels are needed on the shorter side.",
            "Use the original photo rather than a thumbnail or icon.",
        )

    try:
        # Read the tag before decoding: Pillow's TIFF loader applies it while loading
        # and then resets it to 1.
        orientation = _orientation(image)
        reduced = reduce is not None and _draft(image, reduce[0])
        image.load()  # decode now, inside the try: open() only read the header
        ImageOps.exif_transpose(image, in_place=True)  # turns the pixels as the tag says
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Raised while decoding when a frame or tile inside is bigger than the header said.
        raise too_large(label, None, max_pixels) from err
    except DECODE_ERRORS as err:
        raise corrupt(label, fmt) from err

    rgb = _to_rgb(image, label)
    if not reduced or reduce is None:
        return LoadedImage(rgb=rgb, name=label, format=fmt, orientation=orientation)
    full_size = (height_px, width_px) if orientation in _TRANSPOSED else (width_px, height_px)
    return LoadedImage(
        rgb=rgb,
        name=label,
        format=fmt,
        orientation=orientation,
        full_size=full_size,
        decode_full=reduce[1],
    )


# EXIF orientations that swap width and height.
_TRANSPOSED = frozenset({5, 6, 7, 8})


def _draft(image: Image.Image, longest_px: int) -> bool:
    """Ask a JPEG decoder for the smallest DCT scale whose longest side is ``longest_px`` or
    more (only when that saves at least half of each side); whether it will decode smaller.
    """
    if image.format not in ("JPEG", "MPO"):
        return False
    width_px, height_px = image.size
    factor = longest_px / max(width_px, height_px)
    if factor > 0.5:
        return False
    size = image.size
    image.draft(image.mode, (math.ceil(width_px * factor), math.ceil(height_px * factor)))
    return image.size != size


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation that applies to ``image``'s pixels (1 if none or invalid)."""
    # pillow-heif lets libheif rotate while decoding and resets the EXIF tag to 1,
    # keeping the original value here.
    original = image.info.get("original_orientation")
    value = original if original is not None else image.getexif().get(ExifTags.Base.Orientation)
    # exif_transpose() ignores values outside 1-8, so report those as "none applied".
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_rgb(image: Image.Image, label: str) -> np.ndarray:
    """Convert any Pillow mode to an ``(H, W, 3)`` uint8 array (a new, writable array)."""
    mode = image.mode
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # 16-bit greyscale (PNG, TIFF; Pillow uses "I" for it in some plugins). Convert
        # in numpy: Pillow's own conversion to "L" clips at 255 instead of scaling.
        grey16 = np.clip(np.asarray(image).astype(np.int64), 0, 65535)
        grey8 = ((grey16 + 128) // 257).astype(np.uint8)
        return np.repeat(grey8[:, :, np.newaxis], 3, axis=2)
    if mode == "F":
        raise ImageLoadError(
            "unsupported_mode",
            f"{quoted(label)} stores floating-point pixel values (scientific or HDR data), "
            "which have no fixed brightness scale.",
            "Export the photo again as an 8-bit JPEG or PNG.",
        )

    has_alpha = mode in ("RGBA", "RGBa", "LA", "PA") or "transparency" in image.info
    try:
        if has_alpha:
            # Composite on white: transparent regions of screenshots and cut-outs would
            # otherwise become black, which reads as a dark shape to the pose model.
            rgba = image.convert("RGBA")
            rgb_image = Image.new("RGB", rgba.size, _WHITE)
            rgb_image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            rgb_image = image.convert("RGB")
    except ValueError as err:  # Pillow has no conversion for this mode (e.g. LAB)
        raise ImageLoadError(
            "unsupported_mode",
            f"{quoted(label)} uses a colour mode we cannot convert to RGB ({mode}).",
            "Export the photo again as an 8-bit RGB JPEG or PNG.",
        ) from err
    # np.array copies: np.asarray would give a read-only view of Pillow's bytes.
    return np.array(rgb_image, dtype=np.uint8)
