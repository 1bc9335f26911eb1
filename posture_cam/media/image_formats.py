"""Recognising an image file's type from its first bytes, and which types Pillow may open.

Pillow says only "cannot identify image file"; knowing that the bytes are a PDF, a video or a
damaged PNG lets the message tell the person what to do instead. Only the formats in
:data:`PILLOW_FORMATS` are handed to Pillow's decoders; its other plugins (EPS runs
Ghostscript, for example) are never used for uploads.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

from .image_errors import (
    COMMON_FORMATS,
    EXPORT_HINT,
    ErrorCode,
    ImageLoadError,
    corrupt,
    format_name,
    quoted,
    with_article,
)

__all__ = [
    "DECODE_ERRORS",
    "PILLOW_FORMATS",
    "Kind",
    "available_formats",
    "sniff",
    "size_from_header",
    "unidentified",
]

# Pillow format ids we decode, in the order Image.open() tries them. "JPEG" also covers
# MPO (a JPEG with extra pictures appended), because Pillow's JPEG opener returns one.
PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "GIF", "BMP", "TIFF")


# Pillow's decoders report bad data with many exception types (struct.error from
# header parsing, SyntaxError from plugins, EOFError from short reads, ...). These are
# caught only around calls that parse or decode file contents. Warning is included for
# applications that turn warnings into errors: Pillow warns about, e.g., corrupt EXIF.
DECODE_ERRORS: tuple[type[Exception], ...] = (
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

# size_from_header() also meets Pillow's bomb check inside some plugins (GIF frames).
_HEADER_ERRORS: tuple[type[Exception], ...] = (*DECODE_ERRORS, Image.DecompressionBombError)


@functools.cache
def available_formats() -> tuple[str, ...]:
    """Pillow format ids from ``PILLOW_FORMATS`` that this installation can open.

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
    return tuple(fmt for fmt in PILLOW_FORMATS if fmt in known)


@dataclass(frozen=True)
class Kind:
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


def sniff(head: bytes) -> Kind:
    """Recognise the file type from its first bytes, to word errors precisely.

    Pillow says only "cannot identify image file"; knowing that the bytes are a PDF, a
    video or a damaged PNG lets the message tell the person what to do instead.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return Kind("JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("PNG")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Kind("GIF")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Kind("WEBP")
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return Kind("TIFF")
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return Kind("BMP")  # "BM" alone is too common a start (text, say) to trust
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
            f"Choose the photo file itself ({COMMON_FORMATS}).",
        )
    return Kind()


def _sniff_iso_media(head: bytes) -> Kind:
    """Tell HEIF/AVIF photos from videos and camera raw files (all ISO-BMFF 'ftyp')."""
    box_size = int.from_bytes(head[0:4], "big")
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
    if brands & _AVIF_BRANDS:
        return Kind("AVIF")
    if brands & _HEIF_BRANDS:
        return Kind("HEIF")
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


def _unsupported(what: str) -> Kind:
    return Kind(refusal=("unsupported_format", f"{what}, a format we cannot read", EXPORT_HINT))


def _not_an_image(what: str, hint: str) -> Kind:
    return Kind(refusal=("not_an_image", what, hint))


def _video() -> Kind:
    return _not_an_image(
        "a video, not a photo",
        "Take a screenshot of a frame that shows your posture, or use the live camera view.",
    )


def size_from_header(fp: BinaryIO) -> tuple[int, int] | None:
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


def unidentified(label: str, format_label: str | None) -> ImageLoadError:
    """Pillow could not identify the file: damaged if its first bytes looked right."""
    if format_label is None:
        return ImageLoadError(
            "not_an_image",
            f"{quoted(label)} is not an image we can read: its contents are not "
            f"{COMMON_FORMATS} data.",
            EXPORT_HINT,
        )
    if format_label not in available_formats():
        return ImageLoadError(
            "unsupported_format",
            f"{quoted(label)} is {with_article(format_name(format_label))} image, which this "
            "installation cannot read (its decoder is missing).",
            f"{EXPORT_HINT} (Or install pillow-heif for HEIC support.)"
            if format_label == "HEIF"
            else EXPORT_HINT,
        )
    return corrupt(label, format_label)
