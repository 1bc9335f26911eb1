"""Tests for reading user photos (posture_cam.media.images).

Every file is generated inside the test with Pillow, numpy or OpenCV; nothing is read
from the repository. Tables list one case per row, supervision-style, with the expected
result or the expected error code.
"""

from __future__ import annotations

import io
import pickle
import struct
import subprocess
import sys
import warnings
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, features

from posture_cam.media.images import (
    ERROR_CODES,
    MAX_PIXELS,
    MIN_SIDE_PX,
    ImageLoadError,
    LoadedImage,
    inference_view,
    load_image,
)

# ---------------------------------------------------------------------------- helpers

ORANGE = (200, 120, 40)
WHITE = (255, 255, 255)
Colour = tuple[int, int, int]
Probe = tuple[tuple[int, int], Colour, int]  # ((row, col), expected RGB, tolerance)


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _heif_ready() -> None:
    """Let Pillow *write* HEIC in tests (load_image registers the opener by itself)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _solid(
    width: int, height: int, colour: tuple[int, ...] = ORANGE, mode: str = "RGB"
) -> Image.Image:
    return Image.new(mode, (width, height), colour)


def _noise(width: int, height: int, seed: int = 0) -> Image.Image:
    """Detailed content, so compressed data fills the file (truncation hits pixel data)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming ``width`` x ``height``, with no real pixels.

    Decoding it would fail (the IDAT holds one byte), so a ``too_large`` error proves
    the size was refused from the header, before any decoding or allocation.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"x")
        + _png_chunk(b"IEND", b"")
    )


def _scene() -> np.ndarray:
    """A 64 x 96 'upright' picture of 2 x 3 coloured 32-px blocks: no symmetry at all."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]
    scene = np.zeros((64, 96, 3), dtype=np.uint8)
    for index, colour in enumerate(colours):
        row, col = divmod(index, 3)
        scene[row * 32 : (row + 1) * 32, col * 32 : (col + 1) * 32] = colour
    return scene


def _block_centres(rgb: np.ndarray) -> np.ndarray:
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


def _with_orientation(scene: np.ndarray, orientation: int, fmt: str) -> bytes:
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
        _heif_ready()
        params |= {"quality": 95}
    return _encode(Image.fromarray(stored), fmt, **params)


def test_orientation_table_is_self_consistent() -> None:
    scene = _scene()
    for orientation in range(1, 9):
        stored = STORED_FROM_DISPLAY[orientation](scene)
        np.testing.assert_array_equal(DISPLAY_FROM_STORED[orientation](stored), scene)


# ------------------------------------------------------------------ files that load


def _jpeg_rgb() -> bytes:
    return _encode(_solid(96, 64), "JPEG", quality=95)


def _jpeg_panorama() -> bytes:
    return _encode(_solid(8000, 300), "JPEG", quality=85)


def _jpeg_cmyk() -> bytes:
    return _encode(_solid(80, 64, (0, 255, 255, 0), mode="CMYK"), "JPEG", quality=95)


def _jpeg_grey() -> bytes:
    return _encode(Image.new("L", (80, 64), 77), "JPEG", quality=95)


def _mpo() -> bytes:
    # A multi-picture JPEG (cameras, some phones): the first picture is the photo.
    return _encode(_solid(80, 64), "MPO", save_all=True, append_images=[_solid(80, 64, WHITE)])


GREY16_IN = (0, 257, 1000, 32896, 65535)
GREY16_OUT = (0, 1, 4, 128, 255)  # round(v / 257)


def _grey16(fmt: str) -> bytes:
    columns = np.repeat(np.array(GREY16_IN, dtype=np.uint16), 16)  # 5 blocks of 16 px
    image = Image.fromarray(np.tile(columns, (64, 1)))
    assert image.mode == "I;16"
    return _encode(image, fmt)


def _png_rgb48() -> bytes:
    # 16 bits per channel in RGB; OpenCV writes it (Pillow cannot). OpenCV order is BGR.
    bgr = np.zeros((64, 64, 3), dtype=np.uint16)
    bgr[:] = (0xFFFF, 0x8080, 0x1234)
    ok, encoded = cv2.imencode(".png", bgr)
    assert ok
    return encoded.tobytes()


def _png_palette_transparent() -> bytes:
    image = Image.new("P", (96, 64), 0)
    image.putpalette([10, 200, 30, 200, 10, 30] + [0] * 762)
    image.paste(1, (48, 0, 96, 64))  # right half uses the transparent index
    return _encode(image, "PNG", transparency=1)


def _png_rgba() -> bytes:
    image = Image.new("RGBA", (96, 64), (0, 0, 255, 255))  # left: opaque blue
    image.paste((0, 0, 0, 0), (32, 0, 64, 64))  # middle: fully transparent black
    image.paste((0, 0, 0, 128), (64, 0, 96, 64))  # right: half-transparent black
    return _encode(image, "PNG")


def _png_la() -> bytes:
    image = Image.new("LA", (96, 64), (50, 255))
    image.paste((50, 0), (48, 0, 96, 64))
    return _encode(image, "PNG")


def _png_rgb_trns() -> bytes:
    # RGB with one colour marked transparent (a tRNS chunk), common in old web graphics.
    image = _solid(96, 64, (1, 2, 3))
    image.paste(ORANGE, (48, 0, 96, 64))
    return _encode(image, "PNG", transparency=(1, 2, 3))


def _png_bilevel() -> bytes:
    image = Image.new("1", (96, 64), 0)
    image.paste(1, (48, 0, 96, 64))
    return _encode(image, "PNG")


def _gif_animated() -> bytes:
    frames = [_solid(80, 64, colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def _webp_lossless() -> bytes:
    return _encode(_solid(96, 64), "WEBP", lossless=True)


def _webp_alpha() -> bytes:
    image = Image.new("RGBA", (96, 64), (*ORANGE, 255))
    image.paste((0, 0, 0, 0), (48, 0, 96, 64))
    return _encode(image, "WEBP", lossless=True)


def _heic() -> bytes:
    _heif_ready()
    return _encode(_solid(96, 64), "HEIF", quality=90)


def _avif() -> bytes:
    return _encode(_solid(96, 64), "AVIF", quality=90)


needs_avif = pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")

LOADS = [
    # file name, make bytes, format, (height, width), probes ((row, col), RGB, tolerance)
    pytest.param("rgb.jpg", _jpeg_rgb, "JPEG", (64, 96), [((32, 48), ORANGE, 3)], id="jpeg"),
    pytest.param(
        "panorama.jpg",
        _jpeg_panorama,
        "JPEG",
        (300, 8000),
        [((150, 4000), ORANGE, 3)],
        id="panorama-8000x300",
    ),
    pytest.param(
        "cmyk.jpg", _jpeg_cmyk, "JPEG", (64, 80), [((32, 40), (255, 0, 0), 3)], id="cmyk-jpeg"
    ),
    pytest.param("grey.jpg", _jpeg_grey, "JPEG", (64, 80), [((32, 40), (77,) * 3, 2)], id="grey"),
    pytest.param("multi.mpo", _mpo, "JPEG", (64, 80), [((32, 40), ORANGE, 3)], id="mpo-as-jpeg"),
    pytest.param(
        "grey16.png",
        lambda: _grey16("PNG"),
        "PNG",
        (64, 80),
        [((32, 16 * i + 8), (v,) * 3, 0) for i, v in enumerate(GREY16_OUT)],
        id="png-16bit-grey",
    ),
    pytest.param(
        "grey16.tif",
        lambda: _grey16("TIFF"),
        "TIFF",
        (64, 80),
        [((32, 16 * i + 8), (v,) * 3, 0) for i, v in enumerate(GREY16_OUT)],
        id="tiff-16bit-grey",
    ),
    pytest.param(
        "rgb48.png", _png_rgb48, "PNG", (64, 64), [((5, 5), (0x12, 0x80, 0xFF), 1)], id="png-48bit"
    ),
    pytest.param(
        "palette.png",
        _png_palette_transparent,
        "PNG",
        (64, 96),
        [((32, 10), (10, 200, 30), 0), ((32, 90), WHITE, 0)],
        id="palette-transparent-on-white",
    ),
    pytest.param(
        "rgba.png",
        _png_rgba,
        "PNG",
        (64, 96),
        [((32, 10), (0, 0, 255), 0), ((32, 48), WHITE, 0), ((32, 80), (127, 127, 127), 1)],
        id="rgba-on-white",
    ),
    pytest.param(
        "la.png",
        _png_la,
        "PNG",
        (64, 96),
        [((32, 10), (50, 50, 50), 0), ((32, 90), WHITE, 0)],
        id="grey-alpha-on-white",
    ),
    pytest.param(
        "trns.png",
        _png_rgb_trns,
        "PNG",
        (64, 96),
        [((32, 10), WHITE, 0), ((32, 90), ORANGE, 0)],
        id="rgb-trns-on-white",
    ),
    pytest.param(
        "bilevel.png",
        _png_bilevel,
        "PNG",
        (64, 96),
        [((32, 10), (0, 0, 0), 0), ((32, 90), WHITE, 0)],
        id="1-bit",
    ),
    pytest.param(
        "animated.gif",
        _gif_animated,
        "GIF",
        (64, 80),
        [((32, 40), (255, 0, 0), 0)],
        id="animated-gif-first-frame",
    ),
    pytest.param(
        "photo.webp", _webp_lossless, "WEBP", (64, 96), [((32, 48), ORANGE, 0)], id="webp"
    ),
    pytest.param(
        "alpha.webp",
        _webp_alpha,
        "WEBP",
        (64, 96),
        [((32, 10), ORANGE, 0), ((32, 90), WHITE, 0)],
        id="webp-alpha-on-white",
    ),
    pytest.param("photo.heic", _heic, "HEIF", (64, 96), [((32, 48), ORANGE, 8)], id="heic"),
    pytest.param(
        "photo.avif", _avif, "AVIF", (64, 96), [((32, 48), ORANGE, 8)], id="avif", marks=needs_avif
    ),
    pytest.param(
        "photo.bmp", lambda: _encode(_solid(96, 64), "BMP"), "BMP", (64, 96), [], id="bmp"
    ),
    pytest.param(
        "photo.tif", lambda: _encode(_solid(96, 64), "TIFF"), "TIFF", (64, 96), [], id="tiff"
    ),
    pytest.param(
        "square.png",
        lambda: _encode(_solid(MIN_SIDE_PX, MIN_SIDE_PX), "PNG"),
        "PNG",
        (MIN_SIDE_PX, MIN_SIDE_PX),
        [((0, 0), ORANGE, 0)],
        id="smallest-accepted",
    ),
]


@pytest.mark.parametrize(("file_name", "make", "fmt", "shape_hw", "probes"), LOADS)
def test_supported_files_load_as_8bit_rgb(
    tmp_path: Path,
    file_name: str,
    make: Callable[[], bytes],
    fmt: str,
    shape_hw: tuple[int, int],
    probes: list[Probe],
) -> None:
    path = tmp_path / file_name
    path.write_bytes(make())

    loaded = load_image(path)

    assert loaded.format == fmt
    assert loaded.rgb.shape == (*shape_hw, 3)
    assert loaded.rgb.dtype == np.uint8
    assert (loaded.height, loaded.width) == shape_hw
    assert loaded.name == file_name
    assert loaded.orientation == 1
    assert loaded.rgb.flags.writeable and loaded.rgb.flags.c_contiguous
    if not probes:  # lossless formats without a probe: every pixel is the solid colour
        assert (loaded.rgb == ORANGE).all()
    for (row, col), expected, tolerance in probes:
        actual = loaded.rgb[row, col].astype(int)
        assert np.abs(actual - expected).max() <= tolerance, (row, col, actual, expected)


# --------------------------------------------------------------- files that fail


def _zero_bytes() -> bytes:
    return b""


def _truncated_jpeg() -> bytes:
    data = _encode(_noise(256, 192), "JPEG", quality=90)
    return data[: len(data) // 2]


def _truncated_png() -> bytes:
    data = _encode(_noise(128, 128), "PNG")
    return data[: len(data) // 2]


def _png_cut_in_header() -> bytes:
    return _encode(_noise(128, 128), "PNG")[:30]


def _png_bad_crc() -> bytes:
    data = bytearray(_encode(_noise(128, 128), "PNG"))
    data[20] ^= 0xFF  # inside IHDR's width/height: the chunk's CRC no longer matches
    return bytes(data)


def _random_bytes() -> bytes:
    return b"\x00" + np.random.default_rng(1234).bytes(4095)


def _text() -> bytes:
    return "Dear physio,\nhere is my photo from Tuesday.\n— Sam\n".encode()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _html() -> bytes:
    return b"<!DOCTYPE html>\n<html><body><img src='IMG_0001.jpg'></body></html>\n"


def _quicktime() -> bytes:
    return b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + bytes(200)


def _psd() -> bytes:
    return b"8BPS\x00\x01" + bytes(200)


def _svg() -> bytes:
    return b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9"></svg>\n'


def _float_tiff() -> bytes:
    return _encode(Image.fromarray(np.full((64, 64), 0.5, dtype=np.float32)), "TIFF")


FAILURES = [
    # file name, make bytes, code, fragment of the message
    pytest.param("empty.jpg", _zero_bytes, "empty_file", "is empty (0 bytes)", id="zero-bytes"),
    pytest.param(
        "cut.jpg", _truncated_jpeg, "corrupt_image", "JPEG image, but", id="truncated-jpeg"
    ),
    pytest.param("cut.png", _truncated_png, "corrupt_image", "PNG image, but", id="truncated-png"),
    pytest.param("cut.png", _png_cut_in_header, "corrupt_image", "damaged", id="png-cut-in-header"),
    pytest.param("bad.png", _png_bad_crc, "corrupt_image", "damaged", id="png-bad-crc"),
    pytest.param(
        "photo.jpg",
        _random_bytes,
        "not_an_image",
        "not JPEG, PNG, WebP or HEIC data",
        id="random-bytes",
    ),
    pytest.param("notes.txt", _text, "not_an_image", "a text file", id="text"),
    pytest.param(
        "bmw.jpg", lambda: b"BMW service notes\n", "not_an_image", "a text file", id="text-BM"
    ),
    pytest.param("scan.pdf", _pdf, "not_an_image", "a PDF document", id="pdf"),
    pytest.param("photo.jpg", _html, "not_an_image", "a web page", id="html-saved-as-jpg"),
    pytest.param("IMG_0001.MOV", _quicktime, "not_an_image", "a video", id="video"),
    pytest.param("edit.psd", _psd, "unsupported_format", "Photoshop", id="psd"),
    pytest.param("logo.svg", _svg, "unsupported_format", "SVG", id="svg"),
    pytest.param(
        "bomb.png",
        lambda: _png_header_only(50_000, 50_000),
        "too_large",
        "50000 × 50000 pixels, more than the 100-megapixel limit",
        id="50000x50000-header",
    ),
    pytest.param(
        "dot.png",
        lambda: _encode(_solid(1, 1), "PNG"),
        "too_small",
        "1 × 1 pixels",
        id="1x1",
    ),
    pytest.param(
        "strip.png",
        lambda: _encode(_solid(400, MIN_SIDE_PX - 1), "PNG"),
        "too_small",
        f"400 × {MIN_SIDE_PX - 1} pixels",
        id="just-too-small",
    ),
    pytest.param("float.tif", _float_tiff, "unsupported_mode", "floating-point", id="float-tiff"),
]


@pytest.mark.parametrize("via", ["path", "bytes"])
@pytest.mark.parametrize(("file_name", "make", "code", "fragment"), FAILURES)
def test_bad_files_raise_a_typed_error_naming_the_file(
    tmp_path: Path,
    file_name: str,
    make: Callable[[], bytes],
    code: str,
    fragment: str,
    via: str,
) -> None:
    path = tmp_path / file_name
    path.write_bytes(make())
    source: Path | bytes = path if via == "path" else path.read_bytes()

    with pytest.raises(ImageLoadError) as info:
        load_image(source, name=None if via == "path" else file_name)

    err = info.value
    assert err.code == code
    assert fragment in err.message
    assert err.message.startswith(f"“{file_name}”")
    assert err.hint and err.hint.endswith(".")
    assert str(err) == f"{err.message} {err.hint}"
    assert isinstance(err, ValueError)
    assert err.code in ERROR_CODES


def test_decompression_bomb_is_refused_from_the_header(tmp_path: Path) -> None:
    # 2.5 gigapixels (7.5 GB as RGB) in a 57-byte file. The IDAT holds no real data, so
    # any attempt to decode would end in corrupt_image, not too_large: the code tells that
    # the file was refused before decoding.
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(50_000, 50_000))

    with pytest.raises(ImageLoadError) as info:
        load_image(path)

    assert info.value.code == "too_large"


def test_max_pixels_is_checked_before_decoding() -> None:
    data = _encode(_solid(2000, 1500), "JPEG")

    with pytest.raises(ImageLoadError) as info:
        load_image(data, name="big.jpg", max_pixels=1_000_000)

    assert info.value.code == "too_large"
    assert "2000 × 1500 pixels, more than the 1-megapixel limit" in info.value.message
    assert load_image(data, max_pixels=3_000_000).rgb.shape == (1500, 2000, 3)


def test_between_pillows_limit_and_ours_pillow_only_warns() -> None:
    # 95 MP: above Pillow's process-wide 89.5 MP warning level, below our 100 MP limit.
    # load_image leaves warnings alone, so Pillow's warning shows and decoding goes on.
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < 95_000_000 < MAX_PIXELS
    data = _png_header_only(10_000, 9_500)

    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ImageLoadError) as info:
        load_image(data, name="huge.png")
    assert info.value.code == "corrupt_image"  # decoded (and found to have no pixels)

    # An application that makes the warning an error gets too_large, with the size.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(ImageLoadError) as info:
            load_image(data, name="huge.png")
    assert info.value.code == "too_large"
    assert "10000 × 9500 pixels, more than the 89.5-megapixel limit" in info.value.message


# ------------------------------------------------------------------- orientation


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation: int, fmt: str) -> None:
    scene = _scene()

    loaded = load_image(_with_orientation(scene, orientation, fmt))

    assert loaded.orientation == orientation
    assert loaded.rgb.shape == scene.shape
    tolerance = 0 if fmt in ("PNG", "WEBP", "TIFF") else 8
    difference = np.abs(_block_centres(loaded.rgb) - _block_centres(scene))
    assert difference.max() <= tolerance


def test_huge_exif_block_is_read() -> None:
    # Phone photos carry big EXIF blocks (maker notes, thumbnails); JPEG allows < 64 KB.
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010E] = "x" * 60_000  # ImageDescription
    exif_bytes = exif.tobytes()
    assert 60_000 < len(exif_bytes) < 65_000
    stored = STORED_FROM_DISPLAY[6](_scene())
    data = _encode(Image.fromarray(np.ascontiguousarray(stored)), "JPEG", exif=exif_bytes)

    loaded = load_image(data, name="IMG_0420.JPG")

    assert loaded.orientation == 6
    assert loaded.rgb.shape == (64, 96, 3)


def test_invalid_orientation_value_is_ignored() -> None:
    exif = Image.Exif()
    exif[0x0112] = 9  # not an EXIF orientation; viewers ignore it, and so do we
    loaded = load_image(_encode(_solid(96, 64), "PNG", exif=exif.tobytes()))
    assert loaded.orientation == 1
    assert loaded.rgb.shape == (64, 96, 3)


# --------------------------------------------------------------- sources and names


def test_bytes_input_uses_the_given_name() -> None:
    loaded = load_image(_heic(), name="IMG_0420.HEIC")
    assert loaded.name == "IMG_0420.HEIC"
    assert loaded.format == "HEIF"

    with pytest.raises(ImageLoadError, match="“IMG_0421.HEIC” is empty"):
        load_image(b"", name="IMG_0421.HEIC")


def test_bytes_input_without_a_name() -> None:
    assert load_image(_jpeg_rgb()).name == "uploaded image"
    with pytest.raises(ImageLoadError, match="“uploaded image” is empty"):
        load_image(b"")


@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
def test_path_input_names_the_file(tmp_path: Path, as_str: bool) -> None:
    path = tmp_path / "side view.jpg"
    path.write_bytes(_jpeg_rgb())
    source = str(path) if as_str else path

    assert load_image(source).name == "side view.jpg"
    assert load_image(source, name="upload 3.jpg").name == "upload 3.jpg"


def _deny(self: Path, *args: object, **kwargs: object) -> io.BufferedReader:
    raise PermissionError(13, "Permission denied", str(self))


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        pytest.param(lambda p, mp: None, "could not be found", id="missing"),
        pytest.param(lambda p, mp: p.mkdir(), "is a folder, not an image file", id="directory"),
        pytest.param(
            # Tests run as root here, so chmod cannot deny reading: simulate the OS error.
            lambda p, mp: (p.write_bytes(b"x"), mp.setattr(Path, "open", _deny)),
            "permission denied",
            id="permission",
        ),
    ],
)
def test_unreadable_paths(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: Callable[[Path, pytest.MonkeyPatch], object],
    fragment: str,
) -> None:
    path = tmp_path / "posture.jpg"
    setup(path, monkeypatch)

    with pytest.raises(ImageLoadError) as info:
        load_image(path)

    assert info.value.code == "unreadable_file"
    assert info.value.message.startswith("“posture.jpg”")
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("source", "kwargs", "expectation"),
    [
        (_jpeg_rgb, {}, nullcontext()),
        (lambda: 42, {}, pytest.raises(TypeError, match="got int")),
        (lambda: bytearray(b"x"), {}, pytest.raises(TypeError, match="got bytearray")),
        (_jpeg_rgb, {"max_pixels": 0}, pytest.raises(ValueError, match="max_pixels")),
        (_jpeg_rgb, {"max_pixels": True}, pytest.raises(ValueError, match="max_pixels")),
        (_jpeg_rgb, {"max_pixels": 1.5e6}, pytest.raises(ValueError, match="max_pixels")),
    ],
    ids=["ok", "int-source", "bytearray-source", "zero-limit", "bool-limit", "float-limit"],
)
def test_bad_arguments_are_programming_errors(
    source: Callable[[], object],
    kwargs: dict[str, object],
    expectation: AbstractContextManager[Any],
) -> None:
    with expectation as raised:
        load_image(source(), **kwargs)  # type: ignore[arg-type]
    if raised is not None:  # programming errors are not ImageLoadError
        assert not isinstance(raised.value, ImageLoadError)


# ---------------------------------------------------------------- error and result


def test_image_load_error_round_trips_through_pickle() -> None:
    err = ImageLoadError("too_small", "“a.png” is too small.", "Use the original photo.")

    copy = pickle.loads(pickle.dumps(err))

    assert (copy.code, copy.message, copy.hint) == (err.code, err.message, err.hint)
    assert str(copy) == "“a.png” is too small. Use the original photo."


@pytest.mark.parametrize(
    ("rgb", "orientation", "expectation"),
    [
        (np.zeros((4, 6, 3), np.uint8), 1, nullcontext()),
        (np.zeros((4, 6), np.uint8), 1, pytest.raises(ValueError, match=r"\(H, W, 3\)")),
        (np.zeros((4, 6, 4), np.uint8), 1, pytest.raises(ValueError, match=r"\(4, 6, 4\)")),
        (np.zeros((4, 6, 3), np.float32), 1, pytest.raises(ValueError, match="float32")),
        (np.zeros((4, 6, 3), np.uint8), 0, pytest.raises(ValueError, match="orientation")),
        ([[0, 0, 0]], 1, pytest.raises(TypeError, match="numpy array")),
    ],
    ids=["ok", "2d", "4-channels", "float", "orientation-0", "list"],
)
def test_loaded_image_checks_its_fields(
    rgb: np.ndarray, orientation: int, expectation: AbstractContextManager[object]
) -> None:
    with expectation:
        image = LoadedImage(rgb=rgb, name="x.png", format="PNG", orientation=orientation)
        assert (image.height, image.width) == (4, 6)


# ---------------------------------------------------------------- inference view


@pytest.mark.parametrize(
    ("shape_hw", "max_side_px", "small_hw", "scale"),
    [
        ((3024, 4032), 1280, (960, 1280), 3.15),  # 12 MP landscape phone photo
        ((4032, 3024), 1280, (1280, 960), 3.15),  # portrait
        ((300, 8000), 1280, (48, 1280), 6.25),  # panorama
        ((720, 1280), 1280, (720, 1280), 1.0),  # already fits: untouched
        ((100, 100), 50, (50, 50), 2.0),
        ((101, 100), 50, (50, 50), 2.02),  # short side rounded to whole pixels
    ],
)
def test_inference_view_shape_and_scale(
    shape_hw: tuple[int, int], max_side_px: int, small_hw: tuple[int, int], scale: float
) -> None:
    rgb = np.full((*shape_hw, 3), 90, dtype=np.uint8)

    small, factor = inference_view(rgb, max_side_px)

    assert small.shape == (*small_hw, 3)
    assert small.dtype == np.uint8
    assert factor == pytest.approx(scale)
    assert max(shape_hw) == pytest.approx(max(small_hw) * factor)  # long side maps exactly
    assert (small == 90).all()
    assert (small is rgb) == (factor == 1.0)


def test_inference_view_averages_areas() -> None:
    # A 1-px checkerboard halved must become flat grey, not keep one phase (aliasing).
    checker = (np.indices((64, 64)).sum(axis=0) % 2 * 255).astype(np.uint8)
    rgb = np.repeat(checker[:, :, np.newaxis], 3, axis=2)

    small, factor = inference_view(rgb, 32)

    assert factor == 2.0
    assert np.abs(small.astype(int) - 127.5).max() <= 1


@pytest.mark.parametrize(
    ("rgb", "max_side_px", "match"),
    [
        (np.zeros((10, 10), np.uint8), 5, r"\(H, W, 3\)"),
        (np.zeros((10, 10, 3), np.float64), 5, "uint8"),
        (np.zeros((10, 10, 3), np.uint8), 0, "max_side_px"),
    ],
    ids=["2d", "float", "zero-side"],
)
def test_inference_view_rejects_bad_arguments(
    rgb: np.ndarray, max_side_px: int, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        inference_view(rgb, max_side_px)


# ------------------------------------------------------------------- global state


def test_import_has_no_side_effects() -> None:
    # A fresh interpreter, so nothing else in this test session has registered plugins.
    code = (
        "import sys, warnings\n"
        "import numpy\n"  # numpy adds its own filters when imported: take them first
        "from PIL import Image, ImageFile\n"
        "filters = list(warnings.filters)\n"
        "limit = Image.MAX_IMAGE_PIXELS\n"
        "import posture_cam.media.images\n"
        "assert warnings.filters == filters, 'warnings filters changed'\n"
        "assert 'HEIF' not in Image.OPEN, 'HEIF opener registered at import'\n"
        "assert 'pillow_heif' not in sys.modules, 'pillow_heif imported'\n"
        "assert 'cv2' not in sys.modules, 'cv2 imported'\n"
        "assert Image.MAX_IMAGE_PIXELS == limit and not ImageFile.LOAD_TRUNCATED_IMAGES\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_loading_leaves_pillow_settings_alone() -> None:
    limit = Image.MAX_IMAGE_PIXELS
    filters = list(warnings.filters)

    load_image(_heic())
    with pytest.raises(ImageLoadError):
        load_image(_truncated_png())

    assert limit == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert warnings.filters == filters


# --------------------------------------------------------------------- property


def _seed_files() -> list[bytes]:
    """Small valid files of every supported kind, for mutation by the property test."""
    image = _noise(72, 64, seed=7)
    seeds = [
        _encode(image, "JPEG", quality=80),
        _encode(image, "JPEG", quality=80, progressive=True),
        _encode(image, "PNG"),
        _encode(image.convert("P"), "GIF"),
        _encode(image, "BMP"),
        _encode(image, "TIFF"),
        _encode(image, "WEBP"),
        _with_orientation(_scene(), 6, "JPEG"),
        _heic(),
    ]
    if features.check("avif"):
        seeds.append(_avif())
    return seeds


_SEEDS = st.deferred(lambda: st.sampled_from(_seed_files()))
_MAGIC = [
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    b"%PDF-1.4",
]


@st.composite
def _image_like_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes, random bytes after a real signature, or a real file cut or patched."""
    how = draw(st.sampled_from(["random", "signature", "truncated", "patched"]))
    if how == "random":
        return draw(st.binary(max_size=4096))
    if how == "signature":
        return draw(st.sampled_from(_MAGIC)) + draw(st.binary(max_size=2048))
    data = bytearray(draw(_SEEDS))
    if how == "truncated":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_image_like_bytes())
def test_any_bytes_give_an_image_or_an_image_load_error(data: bytes) -> None:
    # max_pixels kept small so a patched header cannot make one example allocate 300 MB.
    try:
        loaded = load_image(data, name="fuzz.bin", max_pixels=4_000_000)
    except ImageLoadError as err:
        assert err.code in ERROR_CODES - {"unreadable_file"}
        assert err.message.startswith("“fuzz.bin”")
    else:
        assert loaded.rgb.ndim == 3 and loaded.rgb.shape[2] == 3
        assert loaded.rgb.dtype == np.uint8
        assert min(loaded.width, loaded.height) >= MIN_SIDE_PX
