"""Where the pose model comes from: the pose landmarker model store.

mediapipe 1.2.x ships no pose model, so ``PoseLandmarker`` needs a bundle
``pose_landmarker_<variant>.task``: a zip holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``, each carrying TFLite metadata. This module finds one, in
the order given by ``shared/MODELS.md``:

1. a path the user gives (argument, or the ``POSTURE_CAM_MODEL`` environment variable);
2. the local cache (:func:`cache_dir`), files ``pose_landmarker_<variant>.task``;
3. Google's versioned bundle on its model storage, checked against a known size and SHA-256;
4. an offline build from Google's own legacy model files, fetched with the ordinary package
   clients (``npm pack @mediapipe/pose``; ``pip download mediapipe==0.10.21`` for ``full``),
   whose inputs are checked against known sizes and SHA-256 before TFLite metadata is added;
5. otherwise :class:`ModelUnavailableError`, naming every source tried and why it failed.

Nothing happens at import time: no disk access, no network, no mediapipe import. The flatbuffers
schemas needed to read and write TFLite files are loaded from the installed mediapipe wheel by
file path, which does not start the mediapipe runtime.

Writes into the cache are atomic (temporary name in the same folder, fsync, verify, then
``os.replace``), and fetching or building a variant holds a per-variant ``flock`` so that two
processes never do the work twice or see a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

__all__ = [
    "DEFAULT_VARIANT",
    "VARIANTS",
    "InvalidModelError",
    "ModelFile",
    "ModelUnavailableError",
    "cache_dir",
    "fetch_model",
    "list_models",
    "resolve_model",
    "validate_bundle",
]

VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"

ENV_MODEL = "POSTURE_CAM_MODEL"
ENV_CACHE_DIR = "POSTURE_CAM_CACHE_DIR"

Progress = Callable[[str], None]

# Google's versioned bundle. Never ``/latest/``: its bytes may change under the same name, and
# the hash check below would then reject every download.
_URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/1/pose_landmarker_{variant}.task"
)
_CONNECT_TIMEOUT_S = 5.0
_DOWNLOAD_DEADLINE_S = 300.0
_SUBPROCESS_TIMEOUT_S = 600.0
_LOCK_TIMEOUT_S = 900.0

_NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
_NPM_TARBALL = "mediapipe-pose-0.5.1675469404.tgz"
_WHEEL_REQUIREMENT = "mediapipe==0.10.21"
_WHEEL_FILE = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
_WHEEL_PIP_ARGS = (
    "--no-deps",
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--platform",
    "manylinux_2_28_x86_64",
)

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"


@dataclass(frozen=True)
class _Digest:
    size_bytes: int
    sha256: str


# Google's published bundles (float16/1), from shared/MODELS.md.
_OFFICIAL: dict[str, _Digest] = {
    "lite": _Digest(5_777_746, "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"),
    "full": _Digest(9_398_198, "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1"),
    "heavy": _Digest(
        30_664_242, "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b"
    ),
}

# What the reference offline build in shared/MODELS.md produced (lite equals Google's file).
_REFERENCE_BUILD: dict[str, _Digest] = {
    "lite": _OFFICIAL["lite"],
    "full": _Digest(9_398_230, "ffeeedfd2f1d1423af551a3bcc79c5b71a1186d33e9a4902c5d6cca60851afa6"),
    "heavy": _Digest(
        30_664_274, "b4f51b072785e0c411efcea7f1aa8593aec77d68a6422a3ab10864dcf1a10d19"
    ),
}

# What this module's own offline build produces with flatbuffers 2.0 ... 25.9.23. It is not the
# reference above: two facts of Google's lite bundle could not be recovered without a copy of
# it (the output-tensor names/descriptions of the landmark metadata and the zip entries' time
# stamps), see _LANDMARKS_OUTPUTS and _ZIP_DATE_TIME. The build is deterministic, so these
# hashes still tell a good rebuild from a drifted one.
_OUR_BUILD: dict[str, _Digest] = {
    "lite": _Digest(5_777_814, "38d7b06966054da0556dfac38e208dd6327f9bb37c33d38b29c55c214fec7b49"),
    "full": _Digest(9_398_298, "1e736d6833f1852f27d8a9c6c67defe9db0fc01bfade57ffa1dc94d3a9c88f7e"),
    "heavy": _Digest(
        30_664_342, "eb29b9b0957ebbadee2b477bad69dad8430129bcc26d368fedbe73d4ff3748f9"
    ),
}

# Inputs of the offline build: Google's legacy files, checked before anything is built from them.
_INPUTS: dict[str, _Digest] = {
    "detector_wheel": _Digest(
        2_959_046, "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
    ),
    "detector_npm": _Digest(
        2_962_288, "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"
    ),
    "landmarks_lite": _Digest(
        2_819_824, "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"
    ),
    "landmarks_full": _Digest(
        6_440_512, "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
    ),
    "landmarks_heavy": _Digest(
        27_709_200, "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
    ),
}
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

# Tensor shapes each network must have; checked before metadata is written and when validating.
_DETECTOR_INPUT = (1, 224, 224, 3)
_DETECTOR_OUTPUTS = ((1, 2254, 12), (1, 2254, 1))
_LANDMARKS_INPUT = (1, 256, 256, 3)
_LANDMARKS_OUTPUTS_SHAPES = ((1, 195), (1, 1), (1, 256, 256, 1), (1, 64, 64, 39), (1, 117))


@dataclass(frozen=True)
class _TensorSpec:
    name: str
    description: str | None = None
    # Input tensors only: RGB image normalised as (pixel - mean) / std, with value range.
    mean: float | None = None
    std: float | None = None
    value_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class _MetadataSpec:
    name: str
    description: str
    inputs: tuple[_TensorSpec, ...]
    outputs: tuple[_TensorSpec, ...]
    version: str | None = None
    author: str | None = None
    min_parser_version: str = "1.0.0"


# Google's own detector metadata (it was copied from the face detector, hence the name). Writing
# it onto the bare npm detector reproduces the wheel's pose_detection.tflite byte for byte.
_DETECTOR_METADATA = _MetadataSpec(
    name="Full Range Face Detection",
    description="Detects human face with frontal camera",
    inputs=(
        _TensorSpec(
            "image", "Input image to be detected", mean=127.5, std=127.5, value_range=(-1.0, 1.0)
        ),
    ),
    outputs=(
        _TensorSpec("raw boxes/keypoints", "Undecoded face bboxes location and keypoints"),
        _TensorSpec("scores", "Scores of the detected bboxes."),
    ),
)

# Model-level fields as in Google's bundle (shared/MODELS.md). The output names/descriptions
# below are ours: Google's exact strings are not published anywhere we can read.
_LANDMARKS_OUTPUTS = (
    _TensorSpec("Pose landmarks", "39 landmarks x (x, y, z, visibility, presence)."),
    _TensorSpec("Presence of pose", "Score that a pose is present."),
    _TensorSpec("Segmentation mask for pose", "Person segmentation mask."),
    _TensorSpec("Heat map for pose", "Heat maps of the 39 landmarks."),
    _TensorSpec("World landmarks for pose", "39 landmarks x (x, y, z) in metres."),
)
_LANDMARKS_METADATA = _MetadataSpec(
    name="Pose Landmark",
    description="Detects human pose landmarks with frontal camera.",
    version="1",
    author="MediaPipe",
    inputs=(
        _TensorSpec(
            "image", "Input image to be detected.", mean=0.0, std=255.0, value_range=(0.0, 1.0)
        ),
    ),
    outputs=_LANDMARKS_OUTPUTS,
)

# A fixed time stamp makes the build reproducible (Python's zipfile would stamp the build time).
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# TFLite maps uncompressed members straight from the file when their data is 4-byte aligned.
_ZIP_ALIGNMENT = 4


class ModelUnavailableError(RuntimeError):
    """No usable pose model could be found, downloaded or built.

    The message names every source tried, why each failed, and how to supply a model.
    """


class InvalidModelError(ModelUnavailableError, ValueError):
    """A file is not a valid pose landmarker bundle (the message says what is wrong)."""


@dataclass(frozen=True)
class ModelFile:
    """A pose landmarker bundle on disk, checked.

    Attributes:
        variant: ``"lite"``, ``"full"`` or ``"heavy"``; ``None`` for a user-given file whose
            variant is unknown.
        path: Where the bundle is.
        size_bytes: File size in bytes.
        sha256: SHA-256 of the file, lower-case hex.
        source: ``"user"``, ``"cache"``, ``"download"`` or ``"offline-build"``.
        official: True if the file is byte-identical to Google's published bundle.
    """

    variant: str | None
    path: Path
    size_bytes: int
    sha256: str
    source: str
    official: bool


@dataclass
class _Attempts:
    """What was tried while looking for a model, for the final error message."""

    lines: list[str] = field(default_factory=list)

    def add(self, source: str, reason: str) -> None:
        self.lines.append(f"{source}: {reason}")


class _SourceFailed(Exception):
    """One source could not provide the model; the message says why, in a few words."""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Return the folder that holds cached models (it is not created here).

    ``$POSTURE_CAM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/posture_cam/models``, else
    ``~/.cache/posture_cam/models``.

    Returns:
        The cache folder as an absolute path.
    """
    override = os.environ.get(ENV_CACHE_DIR, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    # The XDG spec says to ignore a relative path.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "posture_cam" / "models"
    return Path.home() / ".cache" / "posture_cam" / "models"


def resolve_model(
    variant: str = DEFAULT_VARIANT,
    path: str | os.PathLike[str] | None = None,
    *,
    allow_network: bool = True,
    progress: Progress | None = None,
) -> ModelFile:
    """Find a pose landmarker bundle: user path, cache, download, offline build.

    Args:
        variant: ``"lite"``, ``"full"`` or ``"heavy"``; used unless a path is given.
        path: A bundle chosen by the user. If ``None``, ``$POSTURE_CAM_MODEL`` is used if set.
            A user-given file that is not a valid bundle is an error, never silently replaced.
        allow_network: If False, stop after the cache (no download, no package registry).
        progress: Called with short human-readable messages while work is done.

    Returns:
        The model file found.

    Raises:
        ValueError: ``variant`` is not one of :data:`VARIANTS`.
        InvalidModelError: the user-given file is not a valid bundle.
        ModelUnavailableError: no source could provide the model; the message lists them.
    """
    _check_variant(variant)
    user_path = path if path is not None else (os.environ.get(ENV_MODEL) or None)
    if user_path is not None:
        return _user_model(Path(user_path), from_env=path is None)

    attempts = _Attempts()
    cached = _cached_model(variant, attempts)
    if cached is not None:
        return cached
    if not allow_network:
        attempts.add("download and offline build", "not tried (network use not allowed)")
        raise ModelUnavailableError(_unavailable_message(variant, attempts))
    return _obtain(variant, use_download=True, force=False, progress=progress, attempts=attempts)


def fetch_model(
    variant: str = DEFAULT_VARIANT,
    *,
    offline: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ModelFile:
    """Put a verified bundle for ``variant`` in the cache and return it.

    Args:
        variant: ``"lite"``, ``"full"`` or ``"heavy"``.
        offline: Skip Google's model storage and build from the registry packages.
        force: Fetch or build again even if the cache already holds a good file.
        progress: Called with short human-readable messages while work is done.

    Returns:
        The cached model file.

    Raises:
        ValueError: ``variant`` is not one of :data:`VARIANTS`.
        ModelUnavailableError: no source could provide the model; the message lists them.
    """
    _check_variant(variant)
    attempts = _Attempts()
    if not force:
        cached = _cached_model(variant, attempts)
        if cached is not None:
            return cached
    return _obtain(
        variant, use_download=not offline, force=force, progress=progress, attempts=attempts
    )


def list_models() -> list[ModelFile]:
    """List the bundles in the cache, with sizes and hashes.

    Files that are not valid bundles are left out.

    Returns:
        One entry per cached variant, in the order of :data:`VARIANTS`.
    """
    found = []
    for variant in VARIANTS:
        model = _cached_model(variant, _Attempts())
        if model is not None:
            found.append(model)
    return found


def validate_bundle(path: str | os.PathLike[str]) -> None:
    """Check that a file is a usable pose landmarker bundle.

    Checks that it is a zip with ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``,
    that both are TFLite models with the expected input and output shapes, and that each input
    carries the normalisation metadata mediapipe needs.

    Args:
        path: The file to check.

    Raises:
        InvalidModelError: the file is missing or not a valid bundle; the message says why.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidModelError(f"{p}: no such file")
    try:
        if not zipfile.is_zipfile(p):
            raise InvalidModelError(
                f"{p}: not a pose landmarker bundle (a .task file is a zip archive; "
                "this file is not one)"
            )
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            missing = [m for m in (DETECTOR_MEMBER, LANDMARKS_MEMBER) if m not in names]
            if missing:
                raise InvalidModelError(
                    f"{p}: not a pose landmarker bundle: missing {', '.join(missing)} "
                    f"(it holds: {', '.join(sorted(names)) or 'nothing'})"
                )
            detector = zf.read(DETECTOR_MEMBER)
            landmarks = zf.read(LANDMARKS_MEMBER)
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        raise InvalidModelError(f"{p}: cannot read the bundle: {exc}") from exc
    for member, data, want_in, want_out in (
        (DETECTOR_MEMBER, detector, _DETECTOR_INPUT, _DETECTOR_OUTPUTS),
        (LANDMARKS_MEMBER, landmarks, _LANDMARKS_INPUT, _LANDMARKS_OUTPUTS_SHAPES),
    ):
        try:
            _check_tflite(data, want_in, want_out, need_metadata=True)
        except ValueError as exc:
            raise InvalidModelError(f"{p}: {member}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Sources 1 and 2: the user's file and the cache
# --------------------------------------------------------------------------------------------


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown model variant {variant!r}; expected one of {VARIANTS}")


def _user_model(path: Path, *, from_env: bool) -> ModelFile:
    where = f"${ENV_MODEL}" if from_env else "the model path given"
    path = path.expanduser()
    try:
        validate_bundle(path)
    except InvalidModelError as exc:
        raise InvalidModelError(
            f"{where} is not a usable pose model: {exc}. Give the path of a "
            "pose_landmarker_<lite|full|heavy>.task file, or unset it and run "
            "`posture-cam models fetch`."
        ) from exc
    digest = _file_digest(path)
    variant = _variant_of(digest)
    return ModelFile(
        variant=variant,
        path=path.absolute(),
        size_bytes=digest.size_bytes,
        sha256=digest.sha256,
        source="user",
        official=_is_official(digest),
    )


def _cache_path(variant: str) -> Path:
    return cache_dir() / f"pose_landmarker_{variant}.task"


def _cached_model(variant: str, attempts: _Attempts) -> ModelFile | None:
    path = _cache_path(variant)
    if not path.is_file():
        attempts.add(f"cache ({path})", "no file")
        return None
    try:
        digest = _file_digest(path)
    except OSError as exc:
        attempts.add(f"cache ({path})", f"cannot read it ({exc})")
        return None
    # A hash we know means the file is good; hashing is cheap next to loading the model.
    known = _variant_of(digest)
    if known is not None and known != variant:
        attempts.add(f"cache ({path})", f"holds the {known} model, not {variant}")
        return None
    if known is None:
        try:
            validate_bundle(path)
        except InvalidModelError as exc:
            attempts.add(f"cache ({path})", f"file is not usable ({exc})")
            return None
    return ModelFile(
        variant=variant,
        path=path,
        size_bytes=digest.size_bytes,
        sha256=digest.sha256,
        source="cache",
        official=_is_official(digest),
    )


def _known_digests(variant: str) -> tuple[_Digest, ...]:
    return (_OFFICIAL[variant], _REFERENCE_BUILD[variant], _OUR_BUILD[variant])


def _variant_of(digest: _Digest) -> str | None:
    for variant in VARIANTS:
        if digest in _known_digests(variant):
            return variant
    return None


def _is_official(digest: _Digest) -> bool:
    return digest in _OFFICIAL.values()


def _file_digest(path: Path) -> _Digest:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return _Digest(size, h.hexdigest())


def _bytes_digest(data: bytes) -> _Digest:
    return _Digest(len(data), hashlib.sha256(data).hexdigest())


# --------------------------------------------------------------------------------------------
# Fetching under a lock, atomic installs
# --------------------------------------------------------------------------------------------


def _obtain(
    variant: str,
    *,
    use_download: bool,
    force: bool,
    progress: Progress | None,
    attempts: _Attempts,
) -> ModelFile:
    say = progress or (lambda _msg: None)
    target = _cache_path(variant)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        attempts.add(f"cache ({target.parent})", f"cannot create the folder ({exc})")
        raise ModelUnavailableError(_unavailable_message(variant, attempts)) from exc

    with _variant_lock(target.parent, variant, say):
        # Another process may have finished the same work while we waited for the lock.
        if not force:
            cached = _cached_model(variant, _Attempts())
            if cached is not None:
                return cached

        if use_download:
            url = _URL_TEMPLATE.format(variant=variant)
            say(f"Downloading {url}")
            try:
                digest = _install_download(url, target, _OFFICIAL[variant])
            except _SourceFailed as exc:
                attempts.add(f"download ({url})", str(exc))
                say(f"Download failed: {exc}")
            else:
                return _model_file(variant, target, digest, "download")
        else:
            attempts.add("download from Google's model storage", "skipped (offline)")

        say(f"Building the {variant} model from Google's legacy files (offline build)")
        try:
            data = _build_offline(variant, target.parent / "sources", say)
            digest = _install_bytes(data, target, _check_built_bundle)
        except _SourceFailed as exc:
            attempts.add("offline build from registry packages", str(exc))
        except Exception as exc:  # noqa: BLE001 - reported below, with the error's type
            # E.g. a future mediapipe wheel whose generated schemas changed shape: the user
            # gets the reason in the list of sources tried instead of a traceback.
            attempts.add(
                "offline build from registry packages",
                f"failed unexpectedly ({type(exc).__name__}: {exc})",
            )
        else:
            if digest not in _known_digests(variant):
                # Still a structurally valid bundle (checked), e.g. from another flatbuffers
                # release that lays vtables out differently; say so rather than refuse it.
                say(
                    "Note: the built file's SHA-256 matches no known build "
                    f"({digest.sha256}); it passed the structural checks."
                )
            return _model_file(variant, target, digest, "offline-build")

    raise ModelUnavailableError(_unavailable_message(variant, attempts))


def _model_file(variant: str, path: Path, digest: _Digest, source: str) -> ModelFile:
    return ModelFile(
        variant=variant,
        path=path,
        size_bytes=digest.size_bytes,
        sha256=digest.sha256,
        source=source,
        official=_is_official(digest),
    )


def _unavailable_message(variant: str, attempts: _Attempts) -> str:
    tried = "\n".join(f"  - {line}" for line in attempts.lines) or "  (nothing)"
    return (
        f"No pose model ({variant}) is available. Tried:\n{tried}\n"
        "To supply one: pass --model PATH (or set the POSTURE_CAM_MODEL environment variable) "
        "to a pose_landmarker_<lite|full|heavy>.task file, or run "
        f"`posture-cam models fetch --variant {variant}` (add --offline to build it from the "
        "npm/PyPI packages of Google's legacy model files)."
    )


@contextlib.contextmanager
def _variant_lock(folder: Path, variant: str, say: Progress) -> Iterator[None]:
    """Hold an exclusive lock for fetching/building ``variant`` in ``folder``.

    The lock file stays in place on purpose: deleting it would let a third process lock a new
    inode while a second still holds the old one.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX; atomic renames still protect readers
        yield
        return
    lock_path = folder / f".pose_landmarker_{variant}.lock"
    with lock_path.open("a+b") as handle:
        deadline = time.monotonic() + _LOCK_TIMEOUT_S
        waited = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    say(f"Waiting for another process that is fetching the {variant} model")
                    waited = True
                if time.monotonic() > deadline:
                    raise ModelUnavailableError(
                        f"Timed out after {_LOCK_TIMEOUT_S:.0f} s waiting for {lock_path}; "
                        "another posture-cam process seems stuck fetching the model."
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _temp_beside(target: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Open a temporary file in ``target``'s folder; it is removed unless renamed away."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _commit(handle: BinaryIO, tmp: Path, target: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    # mkstemp makes the file private; a model is no secret, and a shared cache needs it readable.
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    # Make the rename itself durable.
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _install_bytes(data: bytes, target: Path, check: Callable[[Path], None]) -> _Digest:
    """Write ``data`` to ``target`` atomically after ``check`` accepts the written file.

    Raises:
        _SourceFailed: ``check`` rejected the file, or it could not be written.
    """
    try:
        with _temp_beside(target) as (handle, tmp):
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            check(tmp)
            _commit(handle, tmp, target)
    except InvalidModelError as exc:
        raise _SourceFailed(f"the result is not a valid bundle ({exc})") from exc
    except OSError as exc:
        raise _SourceFailed(f"cannot write {target} ({exc})") from exc
    return _bytes_digest(data)


def _check_built_bundle(path: Path) -> None:
    validate_bundle(path)


# --------------------------------------------------------------------------------------------
# Source 3: Google's model storage
# --------------------------------------------------------------------------------------------


def _install_download(url: str, target: Path, expected: _Digest) -> _Digest:
    """Download ``url`` into ``target`` if its size and SHA-256 are as expected.

    Raises:
        _SourceFailed: no connection, a timeout, or different bytes.
    """
    deadline = time.monotonic() + _DOWNLOAD_DEADLINE_S
    host = urllib.parse.urlsplit(url).hostname
    if host:
        _resolve_host(host, _CONNECT_TIMEOUT_S)
    try:
        with _temp_beside(target) as (handle, tmp):
            h = hashlib.sha256()
            size = 0
            request = urllib.request.Request(url, headers={"User-Agent": "posture_cam"})
            # The timeout bounds the connection and every read; the deadline bounds the whole.
            with urllib.request.urlopen(request, timeout=_CONNECT_TIMEOUT_S) as response:
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) != expected.size_bytes:
                    raise _SourceFailed(
                        f"the server offers {int(length)} bytes, expected {expected.size_bytes}"
                    )
                while chunk := response.read(1 << 16):
                    size += len(chunk)
                    if size > expected.size_bytes:
                        raise _SourceFailed(f"more data than the expected {expected.size_bytes} B")
                    if time.monotonic() > deadline:
                        raise _SourceFailed(f"took longer than {_DOWNLOAD_DEADLINE_S:.0f} s")
                    h.update(chunk)
                    handle.write(chunk)
            got = _Digest(size, h.hexdigest())
            if got != expected:
                raise _SourceFailed(
                    f"downloaded file does not match the published one "
                    f"({got.size_bytes} B, SHA-256 {got.sha256})"
                )
            _commit(handle, tmp, target)
            return got
    except _SourceFailed:
        raise
    except urllib.error.HTTPError as exc:
        raise _SourceFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise _SourceFailed(f"no connection ({exc.reason})") from exc
    except TimeoutError as exc:
        raise _SourceFailed(f"no answer within {_CONNECT_TIMEOUT_S:.0f} s") from exc
    except OSError as exc:
        raise _SourceFailed(f"network or disk error ({exc})") from exc


def _resolve_host(host: str, timeout_s: float) -> None:
    """Look ``host`` up, giving up after ``timeout_s``.

    Socket timeouts do not cover name lookup, which can hang for long on a machine without a
    working resolver, so the lookup runs in a daemon thread that is abandoned on time-out.
    """
    outcome: list[BaseException | None] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, 443)
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=lookup, name="posture_cam-dns", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        raise _SourceFailed(f"name lookup of {host} took longer than {timeout_s:.0f} s")
    error = outcome[0]
    if error is not None:
        raise _SourceFailed(f"cannot resolve {host} ({error})")


# --------------------------------------------------------------------------------------------
# Source 4: the offline build
# --------------------------------------------------------------------------------------------


def _build_offline(variant: str, sources: Path, say: Progress) -> bytes:
    """Build the bundle for ``variant`` from Google's legacy files; return its bytes.

    Raises:
        _SourceFailed: the inputs could not be fetched or checked, or the build failed.
    """
    detector_raw, landmarks_raw = _gather_inputs(variant, sources, say)
    schemas = _schemas_or_fail()
    detector = _with_metadata(detector_raw, _DETECTOR_METADATA, schemas)
    if _bytes_digest(detector) != _INPUTS["detector_wheel"]:
        # Google's own detector with metadata is the wheel's file; a different result means
        # this flatbuffers release packs differently. The file still works.
        say("Note: the rebuilt detector differs from Google's (another flatbuffers version?)")
    landmarks = _with_metadata(landmarks_raw, _LANDMARKS_METADATA, schemas)
    return _aligned_stored_zip(((DETECTOR_MEMBER, detector), (LANDMARKS_MEMBER, landmarks)))


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
        if (sources / _WHEEL_FILE).is_file() and not (sources / _NPM_TARBALL).is_file():
            providers.insert(0, from_wheel)
        else:
            providers.append(from_wheel)
    for provider in providers:
        try:
            return provider()
        except _SourceFailed as exc:
            problems.append(str(exc))
            say(f"Offline build source failed: {exc}")
    raise _SourceFailed("; ".join(problems))


def _verified(data: bytes, key: str) -> bytes:
    expected = _INPUTS[key]
    got = _bytes_digest(data)
    if got != expected:
        raise _SourceFailed(
            f"{key}: {got.size_bytes} B with SHA-256 {got.sha256[:16]}…, expected "
            f"{expected.size_bytes} B with SHA-256 {expected.sha256[:16]}…"
        )
    return data


def _npm_tarball(sources: Path, say: Progress) -> Path:
    tarball = sources / _NPM_TARBALL
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise _SourceFailed("npm is not installed (needed for `npm pack @mediapipe/pose`)")
    say(f"Fetching {_NPM_PACKAGE} with npm (about 41 MB)")
    return _fetch_into(
        sources,
        _NPM_TARBALL,
        [npm, "pack", _NPM_PACKAGE, "--silent"],
        what=f"npm pack {_NPM_PACKAGE}",
    )


def _pip_wheel(sources: Path, say: Progress) -> Path:
    wheel = sources / _WHEEL_FILE
    if wheel.is_file():
        return wheel
    say(f"Fetching the {_WHEEL_REQUIREMENT} wheel with pip (about 36 MB)")
    return _fetch_into(
        sources,
        _WHEEL_FILE,
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
                raise _SourceFailed(
                    f"{what} took longer than {_SUBPROCESS_TIMEOUT_S:.0f} s"
                ) from exc
            produced = Path(work) / filename
            if result.returncode != 0 or not produced.is_file():
                detail = _last_line(result.stderr) or _last_line(result.stdout) or "no output"
                raise _SourceFailed(f"{what} failed (exit {result.returncode}: {detail})")
            # Same folder, so the rename is atomic: a concurrent reader never sees half a file.
            target = sources / filename
            os.replace(produced, target)
            return target
    except OSError as exc:
        raise _SourceFailed(f"{what}: {exc}") from exc


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
        raise _SourceFailed(f"{tarball.name} is damaged ({exc}); removed, try again") from exc
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
        raise _SourceFailed(f"{archive.name} is damaged ({exc}); removed, try again") from exc
    return _all_found(found, keys, archive)


def _all_found(found: dict[str, bytes], keys: Sequence[str], archive: Path) -> dict[str, bytes]:
    missing = [k for k in keys if k not in found]
    if missing:
        raise _SourceFailed(f"{archive.name} lacks {', '.join(missing)}")
    return found


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


# ---- flatbuffers: reading and writing TFLite models and their metadata ----------------------


@dataclass(frozen=True)
class _Schemas:
    tflite: ModuleType  # schema_py_generated: the TFLite model format
    metadata: ModuleType  # metadata_schema_py_generated: TFLite model metadata


@lru_cache(maxsize=1)
def _load_schemas() -> _Schemas | None:
    """Load the generated flatbuffers schemas from the installed mediapipe wheel.

    They are loaded by file path: importing them as ``mediapipe.tasks.metadata...`` would run
    ``mediapipe/__init__.py``, which starts the whole runtime (and in 1.2.3 the dotted import
    fails anyway, because that package rebinds ``mediapipe.tasks``).
    """
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    loaded: dict[str, ModuleType] = {}
    for stem in ("schema_py_generated", "metadata_schema_py_generated"):
        for root in spec.submodule_search_locations:
            candidate = Path(root) / "tasks" / "metadata" / f"{stem}.py"
            if candidate.is_file():
                module_spec = importlib.util.spec_from_file_location(
                    f"posture_cam._mediapipe_{stem}", candidate
                )
                if module_spec is None or module_spec.loader is None:
                    continue
                module = importlib.util.module_from_spec(module_spec)
                try:
                    module_spec.loader.exec_module(module)
                except Exception:  # noqa: BLE001 - any failure means "not usable here"
                    return None
                loaded[stem] = module
                break
    if len(loaded) != 2:
        return None
    return _Schemas(
        tflite=loaded["schema_py_generated"], metadata=loaded["metadata_schema_py_generated"]
    )


def _schemas_or_fail() -> _Schemas:
    schemas = _load_schemas()
    if schemas is None:
        raise _SourceFailed(
            "the TFLite flatbuffers schemas were not found in the installed mediapipe package"
        )
    try:
        import flatbuffers  # noqa: F401
    except ImportError as exc:
        raise _SourceFailed("the flatbuffers package is not installed") from exc
    return schemas


def _check_tflite(
    data: bytes,
    want_input: tuple[int, ...],
    want_outputs: tuple[tuple[int, ...], ...],
    *,
    need_metadata: bool,
) -> None:
    """Check a TFLite model's identifier, tensor shapes and (optionally) input metadata.

    Raises:
        ValueError: the model is not as expected; the message says how.
    """
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ValueError("not a TFLite model (no TFL3 identifier)")
    schemas = _load_schemas()
    if schemas is None:
        return  # Without the schemas only the identifier can be checked.
    try:
        model = schemas.tflite.Model.GetRootAsModel(data, 0)
        graph = model.Subgraphs(0)
        inputs = [_shape(graph.Tensors(graph.Inputs(i))) for i in range(graph.InputsLength())]
        outputs = [_shape(graph.Tensors(graph.Outputs(i))) for i in range(graph.OutputsLength())]
    except Exception as exc:  # noqa: BLE001 - a corrupt flatbuffer can raise almost anything
        raise ValueError(f"cannot parse the TFLite model ({type(exc).__name__}: {exc})") from exc
    if inputs != [want_input]:
        raise ValueError(f"input shape {inputs}, expected [{want_input}]")
    if outputs != list(want_outputs):
        raise ValueError(f"output shapes {outputs}, expected {list(want_outputs)}")
    if not need_metadata:
        return
    buf = _metadata_buffer(model)
    if buf is None:
        raise ValueError(
            "no TFLite metadata (mediapipe needs the input's NormalizationOptions metadata)"
        )
    try:
        meta = schemas.metadata.ModelMetadata.GetRootAsModelMetadata(buf, 0)
        tensor = meta.SubgraphMetadata(0).InputTensorMetadata(0)
        kinds = [tensor.ProcessUnits(i).OptionsType() for i in range(tensor.ProcessUnitsLength())]
    except Exception as exc:  # noqa: BLE001 - as above
        raise ValueError(f"cannot parse the TFLite metadata ({exc})") from exc
    if schemas.metadata.ProcessUnitOptions.NormalizationOptions not in kinds:
        raise ValueError("the input has no NormalizationOptions metadata")


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(tensor.Shape(j)) for j in range(tensor.ShapeLength()))


def _metadata_buffer(model: Any) -> bytes | None:
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() == b"TFLITE_METADATA":
            buffer = model.Buffers(entry.Buffer())
            if buffer is None or buffer.DataLength() == 0:
                return None
            return bytes(buffer.DataAsNumpy().tobytes())
    return None


def _with_metadata(model_bytes: bytes, spec: _MetadataSpec, schemas: _Schemas) -> bytes:
    """Return the model repacked with ``spec`` as its TFLITE_METADATA, as Google's writer does.

    Google's populator unpacks the model into the flatbuffers object API, sets or replaces the
    metadata buffer, packs it again and appends an empty zip end record (its way of attaching
    associated files, of which there are none here). Doing the same steps gives the same bytes.
    """
    import flatbuffers

    tfl = schemas.tflite
    want_in: tuple[int, ...]
    want_out: tuple[tuple[int, ...], ...]
    if spec is _DETECTOR_METADATA:
        want_in, want_out = _DETECTOR_INPUT, _DETECTOR_OUTPUTS
    else:
        want_in, want_out = _LANDMARKS_INPUT, _LANDMARKS_OUTPUTS_SHAPES
    try:
        _check_tflite(model_bytes, want_in, want_out, need_metadata=False)
    except ValueError as exc:
        raise _SourceFailed(f"unexpected input model: {exc}") from exc

    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(model_bytes, 0))
    buffer = tfl.BufferT()
    buffer.data = _metadata_bytes(spec, schemas)
    if model.metadata is None:
        model.metadata = []
    for entry in model.metadata:
        if entry.name.decode("utf-8") == "TFLITE_METADATA":
            model.buffers[entry.buffer] = buffer
            break
    else:
        model.buffers.append(buffer)
        entry = tfl.MetadataT()
        entry.name = "TFLITE_METADATA"
        entry.buffer = len(model.buffers) - 1
        model.metadata.append(entry)
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"TFL3")
    packed = bytes(builder.Output())
    # Empty end-of-central-directory record whose "central directory offset" is its own
    # position, exactly what zipfile writes when it appends nothing to a non-zip file.
    return packed + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, len(packed), 0)


def _metadata_bytes(spec: _MetadataSpec, schemas: _Schemas) -> bytes:
    import flatbuffers

    md = schemas.metadata
    meta = md.ModelMetadataT()
    meta.name = spec.name
    meta.description = spec.description
    meta.version = spec.version
    meta.author = spec.author
    graph = md.SubGraphMetadataT()
    graph.inputTensorMetadata = [_tensor_metadata(t, md, is_input=True) for t in spec.inputs]
    graph.outputTensorMetadata = [_tensor_metadata(t, md, is_input=False) for t in spec.outputs]
    meta.subgraphMetadata = [graph]
    meta.minParserVersion = spec.min_parser_version
    builder = flatbuffers.Builder(0)
    builder.Finish(meta.Pack(builder), b"M001")
    first = bytes(builder.Output())
    # Google's populator reads the metadata back and packs it once more; do the same, so any
    # difference between the two packings ends up as in Google's files.
    again = md.ModelMetadataT.InitFromObj(md.ModelMetadata.GetRootAsModelMetadata(first, 0))
    builder = flatbuffers.Builder(0)
    builder.Finish(again.Pack(builder), b"M001")
    return bytes(builder.Output())


def _tensor_metadata(spec: _TensorSpec, md: ModuleType, *, is_input: bool) -> Any:
    tensor = md.TensorMetadataT()
    tensor.name = spec.name
    tensor.description = spec.description
    content = md.ContentT()
    stats = md.StatsT()
    if is_input:
        content.contentPropertiesType = md.ContentProperties.ImageProperties
        image = md.ImagePropertiesT()
        image.colorSpace = md.ColorSpaceType.RGB
        content.contentProperties = image
        unit = md.ProcessUnitT()
        unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
        norm = md.NormalizationOptionsT()
        norm.mean = [spec.mean]
        norm.std = [spec.std]
        unit.options = norm
        tensor.processUnits = [unit]
        if spec.value_range is not None:
            stats.min = [spec.value_range[0]]
            stats.max = [spec.value_range[1]]
    else:
        content.contentPropertiesType = md.ContentProperties.FeatureProperties
        content.contentProperties = md.FeaturePropertiesT()
    tensor.content = content
    tensor.stats = stats
    return tensor


# ---- the bundle: an uncompressed zip with 4-byte-aligned members -----------------------------


def _aligned_stored_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """Write ``members`` as a stored zip whose member data start on 4-byte boundaries.

    Like mediapipe's bundle writer: 1 to 4 zero bytes go before each local header (4 when the
    data would already be aligned), and the central directory records where each header is.
    """
    out = io.BytesIO()
    central = io.BytesIO()
    dos_time, dos_date = _dos_date_time(_ZIP_DATE_TIME)
    for name, data in members:
        raw_name = name.encode("ascii")
        header_len = 30 + len(raw_name)
        out.write(b"\0" * (_ZIP_ALIGNMENT - (out.tell() + header_len) % _ZIP_ALIGNMENT))
        offset = out.tell()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        out.write(
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,  # version needed: 2.0, plain stored data
                0,  # flags
                0,  # method: stored
                dos_time,
                dos_date,
                crc,
                len(data),
                len(data),
                len(raw_name),
                0,  # no extra field
            )
        )
        out.write(raw_name)
        out.write(data)
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                (3 << 8) | 20,  # made by: Unix, zip 2.0
                20,
                0,
                0,
                dos_time,
                dos_date,
                crc,
                len(data),
                len(data),
                len(raw_name),
                0,
                0,
                0,  # disk number
                0,  # internal attributes
                0o600 << 16,  # external attributes: a regular file, rw-------
                offset,
            )
        )
        central.write(raw_name)
    directory = central.getvalue()
    start = out.tell()
    out.write(directory)
    out.write(
        struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            len(members),
            len(members),
            len(directory),
            start,
            0,
        )
    )
    return out.getvalue()


def _dos_date_time(stamp: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = stamp
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
