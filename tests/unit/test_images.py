"""Tests for reading user photos (posture_cam.media.images): files that load, orientation,
the inference view, no global state. Files that fail: test_image_errors.py.

Every file is generated inside the test with Pillow, numpy or OpenCV; nothing is read
from the repository. Tables list one case per row, supervision-style, with the expected
result or the expected error code.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile, features

from posture_cam.media.images import (
    MIN_SIDE_PX,
    ImageLoadError,
    inference_view,
    load_image,
)
from tests.unit.image_files import (
    DISPLAY_FROM_STORED,
    ORANGE,
    STORED_FROM_DISPLAY,
    WHITE,
    Probe,
    avif,
    block_centres,
    block_scene,
    encode,
    heic,
    jpeg_rgb,
    solid,
    truncated_png,
    with_orientation,
)


def test_orientation_table_is_self_consistent() -> None:
    scene = block_scene()
    for orientation in range(1, 9):
        stored = STORED_FROM_DISPLAY[orientation](scene)
        np.testing.assert_array_equal(DISPLAY_FROM_STORED[orientation](stored), scene)


# ------------------------------------------------------------------ files that load


def _jpeg_panorama() -> bytes:
    return encode(solid(8000, 300), "JPEG", quality=85)


def _jpeg_cmyk() -> bytes:
    return encode(solid(80, 64, (0, 255, 255, 0), mode="CMYK"), "JPEG", quality=95)


def _jpeg_grey() -> bytes:
    return encode(Image.new("L", (80, 64), 77), "JPEG", quality=95)


def _mpo() -> bytes:
    # A multi-picture JPEG (cameras, some phones): the first picture is the photo.
    return encode(solid(80, 64), "MPO", save_all=True, append_images=[solid(80, 64, WHITE)])


GREY16_IN = (0, 257, 1000, 32896, 65535)
GREY16_OUT = (0, 1, 4, 128, 255)  # round(v / 257)


def _grey16(fmt: str) -> bytes:
    columns = np.repeat(np.array(GREY16_IN, dtype=np.uint16), 16)  # 5 blocks of 16 px
    image = Image.fromarray(np.tile(columns, (64, 1)))
    assert image.mode == "I;16"
    return encode(image, fmt)


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
    return encode(image, "PNG", transparency=1)


def _png_rgba() -> bytes:
    image = Image.new("RGBA", (96, 64), (0, 0, 255, 255))  # left: opaque blue
    image.paste((0, 0, 0, 0), (32, 0, 64, 64))  # middle: fully transparent black
    image.paste((0, 0, 0, 128), (64, 0, 96, 64))  # right: half-transparent black
    return encode(image, "PNG")


def _png_la() -> bytes:
    image = Image.new("LA", (96, 64), (50, 255))
    image.paste((50, 0), (48, 0, 96, 64))
    return encode(image, "PNG")


def _png_rgb_trns() -> bytes:
    # RGB with one colour marked transparent (a tRNS chunk), common in old web graphics.
    image = solid(96, 64, (1, 2, 3))
    image.paste(ORANGE, (48, 0, 96, 64))
    return encode(image, "PNG", transparency=(1, 2, 3))


def _png_bilevel() -> bytes:
    image = Image.new("1", (96, 64), 0)
    image.paste(1, (48, 0, 96, 64))
    return encode(image, "PNG")


def _gif_animated() -> bytes:
    frames = [solid(80, 64, colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def _webp_lossless() -> bytes:
    return encode(solid(96, 64), "WEBP", lossless=True)


def _webp_alpha() -> bytes:
    image = Image.new("RGBA", (96, 64), (*ORANGE, 255))
    image.paste((0, 0, 0, 0), (48, 0, 96, 64))
    return encode(image, "WEBP", lossless=True)


needs_avif = pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")

LOADS = [
    # file name, make bytes, format, (height, width), probes ((row, col), RGB, tolerance)
    pytest.param("rgb.jpg", jpeg_rgb, "JPEG", (64, 96), [((32, 48), ORANGE, 3)], id="jpeg"),
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
    pytest.param("photo.heic", heic, "HEIF", (64, 96), [((32, 48), ORANGE, 8)], id="heic"),
    pytest.param(
        "photo.avif", avif, "AVIF", (64, 96), [((32, 48), ORANGE, 8)], id="avif", marks=needs_avif
    ),
    pytest.param("photo.bmp", lambda: encode(solid(96, 64), "BMP"), "BMP", (64, 96), [], id="bmp"),
    pytest.param(
        "photo.tif", lambda: encode(solid(96, 64), "TIFF"), "TIFF", (64, 96), [], id="tiff"
    ),
    pytest.param(
        "square.png",
        lambda: encode(solid(MIN_SIDE_PX, MIN_SIDE_PX), "PNG"),
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


# ------------------------------------------------------------------- orientation


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation: int, fmt: str) -> None:
    scene = block_scene()

    loaded = load_image(with_orientation(scene, orientation, fmt))

    assert loaded.orientation == orientation
    assert loaded.rgb.shape == scene.shape
    tolerance = 0 if fmt in ("PNG", "WEBP", "TIFF") else 8
    difference = np.abs(block_centres(loaded.rgb) - block_centres(scene))
    assert difference.max() <= tolerance


def test_huge_exif_block_is_read() -> None:
    # Phone photos carry big EXIF blocks (maker notes, thumbnails); JPEG allows < 64 KB.
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010E] = "x" * 60_000  # ImageDescription
    exif_bytes = exif.tobytes()
    assert 60_000 < len(exif_bytes) < 65_000
    stored = STORED_FROM_DISPLAY[6](block_scene())
    data = encode(Image.fromarray(np.ascontiguousarray(stored)), "JPEG", exif=exif_bytes)

    loaded = load_image(data, name="IMG_0420.JPG")

    assert loaded.orientation == 6
    assert loaded.rgb.shape == (64, 96, 3)


def test_invalid_orientation_value_is_ignored() -> None:
    exif = Image.Exif()
    exif[0x0112] = 9  # not an EXIF orientation; viewers ignore it, and so do we
    loaded = load_image(encode(solid(96, 64), "PNG", exif=exif.tobytes()))
    assert loaded.orientation == 1
    assert loaded.rgb.shape == (64, 96, 3)


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

    load_image(heic())
    with pytest.raises(ImageLoadError):
        load_image(truncated_png())

    assert limit == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert warnings.filters == filters
