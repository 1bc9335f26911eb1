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
* Only the formats listed in ``_PILLOW_FORMATS`` are handed to Pillow's decoders;
  Pillow's other plugins (EPS runs Ghostscript, for example) are never used for uploads.

Nothing happens at import time: the HEIF plugin is registered and OpenCV is imported on
first use.
"""

from __future__ import annotations

import functools
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, get_args

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

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

ErrorCode = Literal[
    "unreadable_file",
    "empty_file",
    "not_an_image",
    "unsupported_format",
    "corrupt_image",
    "too_large",
    "too_small",
    "unsupported_mode",
]
ERROR_CODES: frozenset[str] = frozenset(get_args(ErrorCode))
"""Every :attr:`ImageLoadError.code`, e.g. for a CLI deciding its exit status."""

# Pillow format ids we decode, in the order Image.open() tries them. "JPEG" also covers
# MPO (a JPEG with extra pictures appended), because Pillow's JPEG opener returns one.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "GIF", "BMP", "TIFF")

# The formats named in messages: what phones and browsers produce, not the full list.
_COMMON_FORMATS = "JPEG, PNG, WebP or HEIC"
_EXPORT_HINT = "Export the photo again as JPEG or PNG and upload that file."

# Bytes of the file's start used to recognise its type (PDF allows junk before %PDF-
# within the first 1024 bytes, so read that much).
_HEAD_BYTES = 1024

# Pillow's decoders report bad data with many exception types (struct.error from
# header parsing, SyntaxError from plugins, EOFError from short reads, ...). These are
# caught only around calls that parse or decode file contents. Warning is included for
# applications that turn warnings into errors: Pillow warns about, e.g., corrupt EXIF.
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    Warning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ArithmeticError,
    RuntimeError,
)

# _size_from_header() also meets Pillow's bomb check inside some plugins (GIF frames).
_HEADER_ERRORS: tuple[type[Exception], ...] = (*_DECODE_ERRORS, Image.DecompressionBombError)

_WHITE = (255, 255, 255)


class ImageLoadError(ValueError):
    """A photo could not be loaded; says why in words meant for the person who chose it.

    Attributes:
        code: Stable machine-readable reason, one of :data:`ErrorCode`.
        message: What went wrong, naming the file, e.g. ``“x.jpg” is empty (0 bytes).``
        hint: What the person can do about it.

    ``str(err)`` is ``f"{message} {hint}"``.
    """

    def __init__(self, code: ErrorCode, message: str, hint: str) -> None:
        super().__init__(f"{message} {hint}")
        self.code: ErrorCode = code
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[type[ImageLoadError], tuple[ErrorCode, str, str]]:
        # The default reduce would call __init__ with the single formatted string;
        # this keeps the error picklable (multiprocessing, caching).
        return (type(self), (self.code, self.message, self.hint))


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A photo decoded to 8-bit RGB, the right way up.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 RGB array at full resolution with the orientation
            applied. It is owned by this object; copy it before drawing on it.
        name: File name used in messages (``"uploaded image"`` when none was given).
        format: Pillow's format name: ``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"HEIF"``,
            ``"AVIF"``, ``"GIF"``, ``"BMP"`` or ``"TIFF"``.
        orientation: The EXIF orientation (1-8) the file carried and that has been
            applied to ``rgb``; 1 when the file had none. For HEIF, libheif rotates while
            decoding and this is the tag pillow-heif replaced with 1.
    """

    rgb: np.ndarray
    name: str
    format: str
    orientation: int

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

    @property
    def width(self) -> int:
        """Width in pixels (after orientation)."""
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels (after orientation)."""
        return int(self.rgb.shape[0])


def load_image(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
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
    if isinstance(source, bytes):
        label = name or "uploaded image"
        with io.BytesIO(source) as fp:
            return _load_from_file(fp, label, max_pixels)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = name or path.name or str(path)
        with _open_path(path, label) as fp:
            return _load_from_file(fp, label, max_pixels)
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
            f"{_quoted(label)} could not be found.",
            "Check the file name and folder, then try again.",
        ) from err
    except IsADirectoryError as err:
        raise ImageLoadError(
            "unreadable_file",
            f"{_quoted(label)} is a folder, not an image file.",
            "Choose one photo inside the folder.",
        ) from err
    except PermissionError as err:
        raise ImageLoadError(
            "unreadable_file",
            f"{_quoted(label)} could not be opened: permission denied.",
            "Check that your account may read the file, or copy it somewhere you can.",
        ) from err
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ImageLoadError(
            "unreadable_file",
            f"{_quoted(label)} could not be read ({reason}).",
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
            f"{_quoted(label)} could not be read ({reason}).",
            "Check that the file is fully downloaded and available, then try again.",
        ) from err
    return head


def _load_from_file(fp: BinaryIO, label: str, max_pixels: int) -> LoadedImage:
    """Identify, check and decode the image in ``fp`` (positioned at its start)."""
    head = _read_head(fp, label)
    if not head:
        raise ImageLoadError(
            "empty_file",
            f"{_quoted(label)} is empty (0 bytes).",
            "The copy or upload may have failed; choose the photo again.",
        )

    kind = _sniff(head)
    if kind.refusal is not None:
        code, what, hint = kind.refusal
        raise ImageLoadError(code, f"{_quoted(label)} is {what}.", hint)

    formats = _available_formats()
    try:
        image = Image.open(fp, formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Pillow refused from the header alone (the warning only arrives as an exception
        # when the application made warnings errors). Either way nothing was decoded.
        pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
        if isinstance(err, Image.DecompressionBombError):
            pillow_limit *= 2
        raise _too_large(label, _size_from_header(fp), min(max_pixels, pillow_limit)) from err
    except UnidentifiedImageError as err:
        raise _unidentified(label, kind.label) from err
    except _DECODE_ERRORS as err:
        raise _corrupt(label, kind.label) from err

    with image:
        return _decode(image, label, max_pixels)


def _decode(image: Image.Image, label: str, max_pixels: int) -> LoadedImage:
    """Check the header size, decode the first frame, orient it and convert to RGB."""
    fmt = "JPEG" if image.format == "MPO" else str(image.format)
    width_px, height_px = image.size
    if width_px * height_px > max_pixels:
        raise _too_large(label, (width_px, height_px), max_pixels)
    if min(width_px, height_px) < MIN_SIDE_PX:
        raise ImageLoadError(
            "too_small",
            f"{_quoted(label)} is too small to analyse: {_dims(width_px, height_px)}; "
            f"at least {MIN_SIDE_PX} pixels are needed on the shorter side.",
            "Use the original photo rather than a thumbnail or icon.",
        )

    try:
        # Read the tag before decoding: Pillow's TIFF loader applies it while loading
        # and then resets it to 1.
        orientation = _orientation(image)
        image.load()  # decode now, inside the try: open() only read the header
        ImageOps.exif_transpose(image, in_place=True)  # turns the pixels as the tag says
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Raised while decoding when a frame or tile inside is bigger than the header said.
        raise _too_large(label, None, max_pixels) from err
    except _DECODE_ERRORS as err:
        raise _corrupt(label, fmt) from err

    rgb = _to_rgb(image, label)
    return LoadedImage(rgb=rgb, name=label, format=fmt, orientation=orientation)


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
            f"{_quoted(label)} stores floating-point pixel values (scientific or HDR data), "
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
            f"{_quoted(label)} uses a colour mode we cannot convert to RGB ({mode}).",
            "Export the photo again as an 8-bit RGB JPEG or PNG.",
        ) from err
    # np.array copies: np.asarray would give a read-only view of Pillow's bytes.
    return np.array(rgb_image, dtype=np.uint8)


# ------------------------------------------------------------------------ formats


@functools.cache
def _available_formats() -> tuple[str, ...]:
    """Pillow format ids from ``_PILLOW_FORMATS`` that this installation can open.

    Registers pillow-heif's opener on first call (not at import). Image.open() raises
    KeyError for a format id it does not know, so missing plugins are filtered out.
    """
    try:
        import pillow_heif
    except ImportError:
        pass  # HEIC files are then reported as an unsupported format
    else:
        pillow_heif.register_heif_opener()
    known = set(Image.registered_extensions().values())
    return tuple(fmt for fmt in _PILLOW_FORMATS if fmt in known)


# Human names for messages, keyed by the labels _sniff() and Pillow use.
_FORMAT_LABELS = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "HEIF": "HEIC/HEIF",
    "AVIF": "AVIF",
    "GIF": "GIF",
    "BMP": "BMP",
    "TIFF": "TIFF",
}


@dataclass(frozen=True)
class _Kind:
    """What the first bytes of a file say it is.

    Attributes:
        label: Pillow format id when the bytes look like a format we decode, else None.
        refusal: ``(code, "is ..." phrase, hint)`` when the file can be refused from its
            first bytes alone (a PDF, a video, a Photoshop file, ...), else None.
    """

    label: str | None = None
    refusal: tuple[ErrorCode, str, str] | None = None


# ISO-BMFF brands of HEIF still images and sequences (HEVC-coded or generic).
_HEIF_BRANDS = frozenset(b"heic heix hevc hevx heim heis hevm hevs mif1 mif2 msf1".split())
_AVIF_BRANDS = frozenset(b"avif avis".split())
# Sizes of the BMP info headers that follow the 14-byte file header (OS/2 to V5).
_BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def _sniff(head: bytes) -> _Kind:
    """Recognise the file type from its first bytes, to word errors precisely.

    Pillow says only "cannot identify image file"; knowing that the bytes are a PDF, a
    video or a damaged PNG lets the message tell the person what to do instead.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return _Kind("JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _Kind("PNG")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _Kind("GIF")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _Kind("WEBP")
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return _Kind("TIFF")
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return _Kind("BMP")  # "BM" alone is too common a start (text, say) to trust
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head)
    if head.startswith(b"8BPS"):
        return _unsupported("a Photoshop document (PSD)")
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return _unsupported("a JPEG XL image")
    if b"%PDF-" in head:
        return _not_an_image(
            "a PDF document, not a photo",
            "Export the page's photo as JPEG or PNG (or take a screenshot of it) and upload that.",
        )
    if head.startswith(b"PK\x03\x04"):
        return _not_an_image(
            "a ZIP archive or office document, not a photo",
            "Unpack or open it, save the photo itself as JPEG or PNG and upload that file.",
        )
    if head[4:8] in (b"moov", b"mdat", b"wide"):
        return _video()
    text = _as_text(head)
    if text is not None:
        lowered = text.lstrip().lower()
        if "<svg" in lowered:
            return _unsupported("an SVG drawing")
        if lowered.startswith(("<!doctype html", "<html")):
            return _not_an_image(
                "a web page (HTML), not a photo",
                "Open the page, save the photo itself (right-click → Save image) and "
                "upload that file.",
            )
        return _not_an_image(
            "a text file, not a photo",
            f"Choose the photo file itself ({_COMMON_FORMATS}).",
        )
    return _Kind()


def _sniff_iso_media(head: bytes) -> _Kind:
    """Tell HEIF/AVIF photos from videos and camera raw files (all ISO-BMFF 'ftyp')."""
    box_size = int.from_bytes(head[0:4], "big")
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
    if brands & _AVIF_BRANDS:
        return _Kind("AVIF")
    if brands & _HEIF_BRANDS:
        return _Kind("HEIF")
    if b"crx " in brands:
        return _unsupported("a Canon raw photo (CR3)")
    return _video()


def _as_text(head: bytes) -> str | None:
    """``head`` decoded as UTF-8 if it is printable text, else None."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # invalid before the end: binary data
            return None
        text = head[: err.start].decode("utf-8")  # a character cut off by the read size
    if not text or not all(char.isprintable() or char in "\t\n\r\f" for char in text):
        return None
    return text


def _unsupported(what: str) -> _Kind:
    return _Kind(refusal=("unsupported_format", f"{what}, a format we cannot read", _EXPORT_HINT))


def _not_an_image(what: str, hint: str) -> _Kind:
    return _Kind(refusal=("not_an_image", what, hint))


def _video() -> _Kind:
    return _not_an_image(
        "a video, not a photo",
        "Take a screenshot of a frame that shows your posture, or use the live camera view.",
    )


def _size_from_header(fp: BinaryIO) -> tuple[int, int] | None:
    """Width and height from the header of a file Pillow refused as too large.

    Image.open() raises before returning the image, so its size is lost. The plugin
    classes below only parse the header (they read no pixel data and allocate nothing
    proportional to the size), which lets the message name the size. WebP, HEIF and
    AVIF are not listed: their openers hand the whole file to a codec library, so for
    them the message goes without the size.
    """
    from PIL import BmpImagePlugin, GifImagePlugin, JpegImagePlugin, PngImagePlugin, TiffImagePlugin

    openers = (
        PngImagePlugin.PngImageFile,
        JpegImagePlugin.JpegImageFile,
        TiffImagePlugin.TiffImageFile,
        BmpImagePlugin.BmpImageFile,
        GifImagePlugin.GifImageFile,
    )
    for opener in openers:
        try:
            fp.seek(0)
            return opener(fp).size
        except _HEADER_ERRORS:
            continue  # not this format, or its header is also unreadable
    return None


# ------------------------------------------------------------------------ messages


def _quoted(label: str) -> str:
    return f"“{label}”"


def _format_name(format_id: str) -> str:
    return _FORMAT_LABELS.get(format_id, format_id)


def _a(noun: str) -> str:
    """``noun`` with its article, for format names (spelled out: "an AVIF", "a JPEG")."""
    return f"{'an' if noun[:1] in 'AEIOU' else 'a'} {noun}"


def _dims(width_px: int, height_px: int) -> str:
    return f"{width_px} × {height_px} pixels"


def _too_large(label: str, size_px: tuple[int, int] | None, limit_px: int) -> ImageLoadError:
    limit = f"the {_megapixels(limit_px)}-megapixel limit"
    if size_px is None:
        detail = f"it has more pixels than {limit}"
    else:
        detail = f"{_dims(*size_px)}, more than {limit}"
    return ImageLoadError(
        "too_large",
        f"{_quoted(label)} is too large to process: {detail}.",
        "Resize the photo (for example to 4000 pixels on the long side) and upload it again.",
    )


def _megapixels(pixels: int) -> str:
    """``pixels`` in megapixels, to 3 significant digits ("100", "89.5", "0.001")."""
    megapixels = pixels / 1e6
    return f"{megapixels:,.0f}" if megapixels >= 100 else f"{megapixels:.3g}"


def _corrupt(label: str, format_label: str | None) -> ImageLoadError:
    what = f"{_a(_format_name(format_label))} image" if format_label else "an image"
    return ImageLoadError(
        "corrupt_image",
        f"{_quoted(label)} looks like {what}, but its data is damaged or incomplete.",
        "It may have been cut off while copying or uploading: export or download the "
        "photo again and upload the new copy.",
    )


def _unidentified(label: str, format_label: str | None) -> ImageLoadError:
    """Pillow could not identify the file: damaged if its first bytes looked right."""
    if format_label is None:
        return ImageLoadError(
            "not_an_image",
            f"{_quoted(label)} is not an image we can read: its contents are not "
            f"{_COMMON_FORMATS} data.",
            _EXPORT_HINT,
        )
    if format_label not in _available_formats():
        return ImageLoadError(
            "unsupported_format",
            f"{_quoted(label)} is {_a(_format_name(format_label))} image, which this "
            "installation cannot read (its decoder is missing).",
            f"{_EXPORT_HINT} (Or install pillow-heif for HEIC support.)"
            if format_label == "HEIF"
            else _EXPORT_HINT,
        )
    return _corrupt(label, format_label)
