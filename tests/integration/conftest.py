"""Fixtures for tests that run the real detector on real and synthetic images.

The pose models come from the normal model store (the user cache), built offline from the
package registries on first use, exactly as a user's first run does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from posture_cam.history.store import HISTORY_FILE
from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.models import ModelFile, resolve_model


@pytest.fixture(scope="session")
def front_yoga_golden_xy(test_data: Path) -> np.ndarray:
    """MediaPipe's golden landmarks for front_yoga_pose.jpg: (33, 2) normalised x, y."""
    text = (test_data / "real" / "front_yoga_pose.expected_landmarks.pbtxt").read_text()
    xs = [float(v) for v in re.findall(r"\bx:\s*([-\d.eE]+)", text)]
    ys = [float(v) for v in re.findall(r"\by:\s*([-\d.eE]+)", text)]
    xy = np.array(list(zip(xs, ys, strict=True)))
    assert xy.shape == (33, 2), xy.shape
    return xy


@pytest.fixture(scope="session")
def lite_model() -> ModelFile:
    return resolve_model("lite")


@pytest.fixture(scope="session")
def full_model() -> ModelFile:
    return resolve_model("full")


@pytest.fixture(scope="session")
def lite_detector(lite_model: ModelFile) -> Iterator[PoseDetector]:
    with PoseDetector(DetectorOptions(lite_model.path, variant="lite")) as det:
        yield det


@pytest.fixture(scope="session")
def full_detector(full_model: ModelFile) -> Iterator[PoseDetector]:
    with PoseDetector(DetectorOptions(full_model.path, variant="full")) as det:
        yield det


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A history file in this test's temporary folder (not created yet)."""
    return tmp_path / "data" / HISTORY_FILE
