"""Why a photo could not be loaded, in words meant for the person who chose it.

:class:`ImageLoadError` carries a stable ``code`` (one of :data:`ErrorCode`), a ``message``
naming the file and what went wrong, and a ``hint`` saying what to do. The helpers here word
the messages that several stages of loading need.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["COMMON_FORMATS", "ERROR_CODES", "EXPORT_HINT", "ErrorCode", "ImageLoadError"]

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


# The formats named in messages: what phones and browsers produce, not the full list.
COMMON_FORMATS = "JPEG, PNG, WebP or HEIC"
EXPORT_HINT = "Export the photo again as JPEG or PNG and upload that file."

# Human names for messages, keyed by the labels sniff() and Pillow use.
FORMAT_LABELS = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "HEIF": "HEIC/HEIF",
    "AVIF": "AVIF",
    "GIF": "GIF",
    "BMP": "BMP",
    "TIFF": "TIFF",
}


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


def quoted(label: str) -> str:
    return f"“{label}”"


def format_name(format_id: str) -> str:
    return FORMAT_LABELS.get(format_id, format_id)


def with_article(noun: str) -> str:
    """``noun`` with its article, for format names (spelled out: "an AVIF", "a JPEG")."""
    return f"{'an' if noun[:1] in 'AEIOU' else 'a'} {noun}"


def dims(width_px: int, height_px: int) -> str:
    return f"{width_px} × {height_px} pixels"


def too_large(label: str, size_px: tuple[int, int] | None, limit_px: int) -> ImageLoadError:
    limit = f"the {megapixels(limit_px)}-megapixel limit"
    if size_px is None:
        detail = f"it has more pixels than {limit}"
    else:
        detail = f"{dims(*size_px)}, more than {limit}"
    return ImageLoadError(
        "too_large",
        f"{quoted(label)} is too large to process: {detail}.",
        "Resize the photo (for example to 4000 pixels on the long side) and upload it again.",
    )


def megapixels(pixels: int) -> str:
    """``pixels`` in megapixels, to 3 significant digits ("100", "89.5", "0.001")."""
    megapixels = pixels / 1e6
    return f"{megapixels:,.0f}" if megapixels >= 100 else f"{megapixels:.3g}"


def corrupt(label: str, format_label: str | None) -> ImageLoadError:
    what = f"{with_article(format_name(format_label))} image" if format_label else "an image"
    return ImageLoadError(
        "corrupt_image",
        f"{quoted(label)} looks like {what}, but its data is damaged or incomplete.",
        "It may have been cut off while copying or uploading: export or download the "
        "photo again and upload the new copy.",
    )
