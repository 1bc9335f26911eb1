"""Building a pose landmarker bundle offline, from Google's legacy model files.

The files come through the package registries with their ordinary clients (no registry
address is named here): ``npm pack @mediapipe/pose@0.5.1675469404`` holds the detector and
the lite, full and heavy landmark models; the ``mediapipe==0.10.21`` wheel (``pip download``)
holds the detector and the full landmark model. Every input is checked against its known size
and SHA-256 (:data:`~.digests.INPUTS`) before anything is built from it; the downloaded
packages are kept in a ``sources`` folder so that a later build fetches nothing again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from .bundle import DETECTOR_MEMBER, LANDMARKS_MEMBER, Schemas, load_schemas
from .bundle_writer import DETECTOR_METADATA, LANDMARKS_METADATA, aligned_stored_zip, with_metadata
from .digests import INPUTS, bytes_digest
from .errors import SourceFailed

__all__ = ["NPM_TARBALL", "Progress", "WHEEL_FILE", "build"]

Progress = Callable[[str], None]

_SUBPROCESS_TIMEOUT_S = 600.0

_NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
NPM_TARBALL = "mediapipe-pose-0.5.1675469404.tgz"
_WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_FILE = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
_WHEEL_PIP_ARGS = (
    "--no-deps",
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--platform",
    "manylinux_2_28_x86_64",
)
_NPM_MEMBERS = {
    "detector_npm": "package/pose_solution_packed_assets.data",
    "landmarks_lite": "package/pose_landmark_lite.tflite",
    "landmarks_full": "package/pose_landmark_full.tflite",
    "landmarks_heavy": "package/pose_landmark_heavy.tflite",
}
# The npm package packs the detector as the first file of an asset archive.
_NPM_DETECTOR_SLICE = (0, 2_962_288)
_WHEEL_MEMBERS = {
    "detector_wheel": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "landmarks_full": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}


def build(variant: str, sources: Path, say: Progress) -> bytes:
    """Build the bundle for ``variant`` from Google's legacy files; return its bytes.

    Args:
        variant: "lite", "full" or "heavy".
        sources: where the fetched packages are kept (created when needed).
        say: called with short messages while work is done.

    Raises:
        SourceFailed: the inputs could not be fetched or checked, or the build failed.
    """
    detector_raw, landmarks_raw = _gather_inputs(variant, sources, say)
    schemas = _schemas_or_fail()
    try:
        detector = with_metadata(detector_raw, DETECTOR_METADATA, schemas)
        landmarks = with_metadata(landmarks_raw, LANDMARKS_METADATA, schemas)
    except ValueError as exc:
        raise SourceFailed(f"unexpected input model: {exc}") from exc
    return aligned_stored_zip(((DETECTOR_MEMBER, detector), (LANDMARKS_MEMBER, landmarks)))


def _schemas_or_fail() -> Schemas:
    schemas = load_schemas()
    if schemas is None:
        raise SourceFailed(
            "the TFLite flatbuffers schemas were not found in the installed mediapipe package"
        )
    try:
        import flatbuffers  # noqa: F401
    except ImportError as exc:
        raise SourceFailed("the flatbuffers package is not installed") from exc
    return schemas


def _gather_inputs(variant: str, sources: Path, say: Progress) -> tuple[bytes, bytes]:
    """Return the bare detector and landmark models, verified, fetching packages if needed."""
    landmark_key = f"landmarks_{variant}"
    problems: list[str] = []
    # The npm package has every variant; the wheel only ``full``. Prefer what is already here.
    providers: list[Callable[[], tuple[bytes, bytes]]] = []

    def from_npm() -> tuple[bytes, bytes]:
        tarball = _npm_tarball(sources, say)
        found = _read_tar_members(tarball, ("detector_npm", landmark_key))
        start, stop = _NPM_DETECTOR_SLICE
        return (
            _verified(found["detector_npm"][start:stop], "detector_npm"),
            _verified(found[landmark_key], landmark_key),
        )

    def from_wheel() -> tuple[bytes, bytes]:
        wheel = _pip_wheel(sources, say)
        found = _read_zip_members(wheel, ("detector_wheel", landmark_key))
        return (
            _verified(found["detector_wheel"], "detector_wheel"),
            _verified(found[landmark_key], landmark_key),
        )

    providers.append(from_npm)
    if landmark_key in _WHEEL_MEMBERS:
        if (sources / WHEEL_FILE).is_file() and not (sources / NPM_TARBALL).is_file():
            providers.insert(0, from_wheel)
        else:
            providers.append(from_wheel)
    for provider in providers:
        try:
            return provider()
        except SourceFailed as exc:
            problems.append(str(exc))
            say(f"Offline build source failed: {exc}")
    raise SourceFailed("; ".join(problems))


def _verified(data: bytes, key: str) -> bytes:
    expected = INPUTS[key]
    got = bytes_digest(data)
    if got != expected:
        raise SourceFailed(
            f"{key}: {got.size_bytes} B with SHA-256 {got.sha256[:16]}…, expected "
            f"{expected.size_bytes} B with SHA-256 {expected.sha256[:16]}…"
        )
    return data


def _npm_tarball(sources: Path, say: Progress) -> Path:
    tarball = sources / NPM_TARBALL
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise SourceFailed("npm is not installed (needed for `npm pack @mediapipe/pose`)")
    say(f"Fetching {_NPM_PACKAGE} with npm (about 41 MB)")
    return _fetch_into(
        sources,
        NPM_TARBALL,
        [npm, "pack", _NPM_PACKAGE, "--silent"],
        what=f"npm pack {_NPM_PACKAGE}",
    )


def _pip_wheel(sources: Path, say: Progress) -> Path:
    wheel = sources / WHEEL_FILE
    if wheel.is_file():
        return wheel
    say(f"Fetching the {_WHEEL_REQUIREMENT} wheel with pip (about 36 MB)")
    return _fetch_into(
        sources,
        WHEEL_FILE,
        [sys.executable, "-m", "pip", "download", *_WHEEL_PIP_ARGS, _WHEEL_REQUIREMENT, "-d", "."],
        what=f"pip download {_WHEEL_REQUIREMENT}",
    )


def _fetch_into(sources: Path, filename: str, command: Sequence[str], *, what: str) -> Path:
    """Run a package client in a fresh temp folder and move ``filename`` into ``sources``."""
    try:
        sources.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=sources) as work:
            try:
                result = subprocess.run(
                    list(command),
                    cwd=work,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=_SUBPROCESS_TIMEOUT_S,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise SourceFailed(
                    f"{what} took longer than {_SUBPROCESS_TIMEOUT_S:.0f} s"
                ) from exc
            produced = Path(work) / filename
            if result.returncode != 0 or not produced.is_file():
                detail = _last_line(result.stderr) or _last_line(result.stdout) or "no output"
                raise SourceFailed(f"{what} failed (exit {result.returncode}: {detail})")
            # Same folder, so the rename is atomic: a concurrent reader never sees half a file.
            target = sources / filename
            os.replace(produced, target)
            return target
    except OSError as exc:
        raise SourceFailed(f"{what}: {exc}") from exc


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _read_tar_members(tarball: Path, keys: Sequence[str]) -> dict[str, bytes]:
    wanted = {_NPM_MEMBERS[k]: k for k in keys}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                key = wanted.get(member.name)
                if key is None or not member.isfile():
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    found[key] = handle.read()
    except (OSError, tarfile.TarError, EOFError) as exc:
        _discard(tarball)
        raise SourceFailed(f"{tarball.name} is damaged ({exc}); removed, try again") from exc
    return _all_found(found, keys, tarball)


def _read_zip_members(archive: Path, keys: Sequence[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            for key in keys:
                name = _WHEEL_MEMBERS[key]
                if name in names:
                    found[key] = zf.read(name)
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        _discard(archive)
        raise SourceFailed(f"{archive.name} is damaged ({exc}); removed, try again") from exc
    return _all_found(found, keys, archive)


def _all_found(found: dict[str, bytes], keys: Sequence[str], archive: Path) -> dict[str, bytes]:
    missing = [k for k in keys if k not in found]
    if missing:
        raise SourceFailed(f"{archive.name} lacks {', '.join(missing)}")
    return found


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
