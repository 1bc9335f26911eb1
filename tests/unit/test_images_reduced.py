"""Large JPEGs read at a reduced scale for the pose model (libjpeg's DCT scaling), with the
full photo decoded only when something is drawn on it at full resolution.

Pictures are made here with numpy and Pillow: a smooth gradient with coloured blocks (so that
a reduced decode can be compared with a full decode shrunk by area averaging).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from posture_cam.media.images import LoadedImage, load_image
from tests.unit.image_files import encode


def picture(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([255 * x / width, 255 * y / height, 128 + 0 * x], axis=-1).astype(np.uint8)
    rgb[height // 4 : height // 2, width // 4 : width // 2] = (200, 30, 30)
    return rgb


def jpeg(width: int, height: int, orientation: int = 1) -> bytes:
    image = Image.fromarray(picture(width, height))
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    return encode(image, "JPEG", quality=92, exif=exif.tobytes())


@pytest.mark.parametrize(
    ("size", "reduce_to", "decoded", "reduction"),
    [
        ((3000, 2000), 1280, (1500, 1000), 2.0),  # 1/4 would be 750 px: too small
        ((4000, 3000), 1000, (1000, 750), 4.0),
        ((2400, 1600), 1280, (2400, 1600), 1.0),  # less than twice: read whole
        ((1280, 720), 1280, (1280, 720), 1.0),
        ((2000, 3000), 300, (250, 375), 8.0),  # libjpeg goes down to 1/8
    ],
)
def test_large_jpegs_are_decoded_at_a_reduced_scale(
    size: tuple[int, int], reduce_to: int, decoded: tuple[int, int], reduction: float
) -> None:
    data = jpeg(*size)
    img = load_image(data, reduce_to_px=reduce_to)
    assert (img.rgb.shape[1], img.rgb.shape[0]) == decoded
    assert (img.width, img.height) == size
    assert img.reduction == pytest.approx(reduction)
    assert (img.full_size is not None) == (reduction > 1)
    # The full photo, decoded on demand, is the photo as a plain load reads it.
    full = load_image(data).rgb
    assert np.array_equal(img.full_rgb, full)
    if reduction > 1:
        # ...and the reduced decode is that photo shrunk (within JPEG's error).
        shrunk = cv2.resize(full, decoded, interpolation=cv2.INTER_AREA)
        assert np.abs(img.rgb.astype(int) - shrunk.astype(int)).mean() < 2.0


def test_the_inference_view_scale_maps_to_the_full_photo() -> None:
    img = load_image(jpeg(4000, 3000), reduce_to_px=1280)
    small, scale = img.inference_view(1280)
    assert small.shape == (960, 1280, 3)
    assert scale == pytest.approx(4000 / 1280)
    plain = load_image(jpeg(4000, 3000))
    small_plain, scale_plain = plain.inference_view(1280)
    assert scale_plain == pytest.approx(scale)
    assert np.abs(small.astype(int) - small_plain.astype(int)).mean() < 2.0


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_orientation_is_applied_to_the_reduced_and_the_full_photo(orientation: int) -> None:
    data = jpeg(3000, 2000, orientation)
    img = load_image(data, reduce_to_px=1000)
    turned = orientation in (6, 8)
    assert (img.width, img.height) == ((2000, 3000) if turned else (3000, 2000))
    assert img.rgb.shape[:2] == ((1500, 1000) if turned else (1000, 1500))
    assert img.full_rgb.shape[:2] == (img.height, img.width)
    assert img.orientation == orientation


def test_only_jpegs_are_reduced() -> None:
    png = encode(Image.fromarray(picture(3000, 2000)), "PNG")
    img = load_image(png, reduce_to_px=1000)
    assert img.full_size is None and img.rgb.shape == (2000, 3000, 3)
    assert img.full_rgb is img.rgb


def test_a_photo_read_from_a_path_is_decoded_in_full_from_it(tmp_path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(3000, 2000))
    img = load_image(path, reduce_to_px=1280)
    assert img.name == "photo.jpg" and img.rgb.shape == (1000, 1500, 3)
    assert img.full_rgb.shape == (2000, 3000, 3)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "1280"])
def test_reduce_to_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ValueError, match="reduce_to_px"):
        load_image(jpeg(100, 100), reduce_to_px=bad)  # type: ignore[arg-type]


def test_full_size_and_its_decoder_go_together() -> None:
    rgb = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match="together"):
        LoadedImage(rgb, "x", "JPEG", 1, full_size=(20, 20))
