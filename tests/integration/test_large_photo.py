"""A phone-sized JPEG through the photo pipeline: read at a reduced scale for the model, the
same answer as from the full decode, and overlays drawn at full resolution (or at the size
asked for, without decoding the full photo).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from posture_cam.media.images import load_image
from posture_cam.pipeline import analyze_file, analyze_image, draw_analysis

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def large_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The increased-curve sample upscaled to 2250 × 4000 (9 MP), as a phone would save it."""
    bgr = cv2.imread(str(REPO / "samples" / "increased_curve_side.jpg"))
    big = cv2.resize(bgr, (2250, 4000), interpolation=cv2.INTER_CUBIC)
    path = tmp_path_factory.mktemp("photo") / "large.jpg"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def test_large_jpeg_is_analysed_from_a_reduced_decode(lite_detector, large_jpeg: Path) -> None:
    reduced = analyze_file(large_jpeg, lite_detector)
    assert reduced.image is not None and reduced.image.rgb.shape == (2000, 1125, 3)
    assert (reduced.image.width, reduced.image.height) == (2250, 4000)
    full = analyze_image(load_image(large_jpeg), lite_detector)
    assert reduced.scale == pytest.approx(full.scale)
    assert reduced.measurable and full.measurable
    assert reduced.assessment.pattern == full.assessment.pattern == "increased"
    assert reduced.metrics is not None and full.metrics is not None
    for name in ("pelvic_tilt_deg", "lumbar_lordosis_deg"):
        a, b = getattr(reduced.metrics, name).value, getattr(full.metrics, name).value
        assert a == pytest.approx(b, abs=1.5), name


def test_overlays_at_full_resolution_or_at_the_size_asked(lite_detector, large_jpeg: Path) -> None:
    a = analyze_file(large_jpeg, lite_detector)
    drawn = draw_analysis(a)
    assert drawn is not None and drawn.shape == (4000, 2250, 3)
    small = draw_analysis(a, max_side_px=1600)
    assert small is not None and small.shape == (2000, 1125, 3)
    # The same drawing at both sizes: the full one shrunk matches the small one.
    shrunk = cv2.resize(drawn, (1125, 2000), interpolation=cv2.INTER_AREA)
    assert abs(shrunk.astype(int) - small.astype(int)).mean() < 4.0
