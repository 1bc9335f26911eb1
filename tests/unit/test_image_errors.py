"""Tests for reading user photos (posture_cam.media.images): files that fail and how the
message names them, the error itself, and any bytes at all.

Every file is generated inside the test with Pillow, numpy or OpenCV; nothing is read
from the repository. Tables list one case per row, supervision-style, with the expected
result or the expected error code.
"""

from __future__ import annotations

import io
import pickle
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, features

from posture_cam.media.images import (
    ERROR_CODES,
    MAX_PIXELS,
    MIN_SIDE_PX,
    ImageLoadError,
    LoadedImage,
    load_image,
)
from tests.unit.image_files import (
    avif,
    block_scene,
    encode,
    heic,
    jpeg_rgb,
    noise,
    png_header_only,
    solid,
    truncated_png,
    with_orientation,
)

# --------------------------------------------------------------- files that fail


def _zero_bytes() -> bytes:
    return b""


def _truncated_jpeg() -> bytes:
    data = encode(noise(256, 192), "JPEG", quality=90)
    return data[: len(data) // 2]


def _png_cut_in_header() -> bytes:
    return encode(noise(128, 128), "PNG")[:30]


def _png_bad_crc() -> bytes:
    data = bytearray(encode(noise(128, 128), "PNG"))
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
    return encode(Image.fromarray(np.full((64, 64), 0.5, dtype=np.float32)), "TIFF")


FAILURES = [
    # file name, make bytes, code, fragment of the message
    pytest.param("empty.jpg", _zero_bytes, "empty_file", "is empty (0 bytes)", id="zero-bytes"),
    pytest.param(
        "cut.jpg", _truncated_jpeg, "corrupt_image", "JPEG image, but", id="truncated-jpeg"
    ),
    pytest.param("cut.png", truncated_png, "corrupt_image", "PNG image, but", id="truncated-png"),
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
        lambda: png_header_only(50_000, 50_000),
        "too_large",
        "50000 × 50000 pixels, more than the 100-megapixel limit",
        id="50000x50000-header",
    ),
    pytest.param(
        "dot.png",
        lambda: encode(solid(1, 1), "PNG"),
        "too_small",
        "1 × 1 pixels",
        id="1x1",
    ),
    pytest.param(
        "strip.png",
        lambda: encode(solid(400, MIN_SIDE_PX - 1), "PNG"),
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
    path.write_bytes(png_header_only(50_000, 50_000))

    with pytest.raises(ImageLoadError) as info:
        load_image(path)

    assert info.value.code == "too_large"


def test_max_pixels_is_checked_before_decoding() -> None:
    data = encode(solid(2000, 1500), "JPEG")

    with pytest.raises(ImageLoadError) as info:
        load_image(data, name="big.jpg", max_pixels=1_000_000)

    assert info.value.code == "too_large"
    assert "2000 × 1500 pixels, more than the 1-megapixel limit" in info.value.message
    assert load_image(data, max_pixels=3_000_000).rgb.shape == (1500, 2000, 3)


def test_between_pillows_limit_and_ours_pillow_only_warns() -> None:
    # 95 MP: above Pillow's process-wide 89.5 MP warning level, below our 100 MP limit.
    # load_image leaves warnings alone, so Pillow's warning shows and decoding goes on.
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < 95_000_000 < MAX_PIXELS
    data = png_header_only(10_000, 9_500)

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


# --------------------------------------------------------------- sources and names


def test_bytes_input_uses_the_given_name() -> None:
    loaded = load_image(heic(), name="IMG_0420.HEIC")
    assert loaded.name == "IMG_0420.HEIC"
    assert loaded.format == "HEIF"

    with pytest.raises(ImageLoadError, match="“IMG_0421.HEIC” is empty"):
        load_image(b"", name="IMG_0421.HEIC")


def test_bytes_input_without_a_name() -> None:
    assert load_image(jpeg_rgb()).name == "uploaded image"
    with pytest.raises(ImageLoadError, match="“uploaded image” is empty"):
        load_image(b"")


@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
def test_path_input_names_the_file(tmp_path: Path, as_str: bool) -> None:
    path = tmp_path / "side view.jpg"
    path.write_bytes(jpeg_rgb())
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
        (jpeg_rgb, {}, nullcontext()),
        (lambda: 42, {}, pytest.raises(TypeError, match="got int")),
        (lambda: bytearray(b"x"), {}, pytest.raises(TypeError, match="got bytearray")),
        (jpeg_rgb, {"max_pixels": 0}, pytest.raises(ValueError, match="max_pixels")),
        (jpeg_rgb, {"max_pixels": True}, pytest.raises(ValueError, match="max_pixels")),
        (jpeg_rgb, {"max_pixels": 1.5e6}, pytest.raises(ValueError, match="max_pixels")),
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


# --------------------------------------------------------------------- property


def _seed_files() -> list[bytes]:
    """Small valid files of every supported kind, for mutation by the property test."""
    image = noise(72, 64, seed=7)
    seeds = [
        encode(image, "JPEG", quality=80),
        encode(image, "JPEG", quality=80, progressive=True),
        encode(image, "PNG"),
        encode(image.convert("P"), "GIF"),
        encode(image, "BMP"),
        encode(image, "TIFF"),
        encode(image, "WEBP"),
        with_orientation(block_scene(), 6, "JPEG"),
        heic(),
    ]
    if features.check("avif"):
        seeds.append(avif())
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
