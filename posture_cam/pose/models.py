"""Where the pose model comes from: the pose landmarker model store.

mediapipe 1.2.x ships no pose model, so ``PoseLandmarker`` needs a bundle
``pose_landmarker_<variant>.task`` (:mod:`.bundle`). The store finds one, in this order:

1. a path the user gives (argument, or the ``POSTURE_CAM_MODEL`` environment variable);
2. the local cache (:func:`cache_dir`), files ``pose_landmarker_<variant>.task``;
3. Google's versioned bundle on its model storage, checked against a known size and SHA-256
   (:mod:`.download`);
4. an offline build from Google's own legacy model files, fetched with the ordinary package
   clients (:mod:`.offline_build`);
5. otherwise :class:`ModelUnavailableError`, naming every source tried and why it failed.

Nothing happens at import time: no disk access, no network, no mediapipe import.

Writes into the cache are atomic (temporary name in the same folder, fsync, verify, then
``os.replace``), and fetching or building a variant holds a per-variant ``flock`` so that two
processes never do the work twice or see a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from . import download, offline_build
from .bundle import validate_bundle
from .digests import OFFICIAL, OFFLINE_BUILD, Digest, bytes_digest, file_digest
from .errors import InvalidModelError, ModelUnavailableError, SourceFailed
from .offline_build import Progress

__all__ = [
    "DEFAULT_VARIANT",
    "ENV_CACHE_DIR",
    "ENV_MODEL",
    "VARIANTS",
    "InvalidModelError",
    "ModelFile",
    "ModelUnavailableError",
    "Progress",
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

_LOCK_TIMEOUT_S = 900.0


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
    digest = file_digest(path)
    return _model_file(_variant_of(digest), path.absolute(), digest, "user")


def _cache_path(variant: str) -> Path:
    return cache_dir() / f"pose_landmarker_{variant}.task"


def _cached_model(variant: str, attempts: _Attempts) -> ModelFile | None:
    path = _cache_path(variant)
    if not path.is_file():
        attempts.add(f"cache ({path})", "no file")
        return None
    try:
        digest = file_digest(path)
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
    return _model_file(variant, path, digest, "cache")


def _variant_of(digest: Digest) -> str | None:
    for variant in VARIANTS:
        if digest in (OFFICIAL[variant], OFFLINE_BUILD[variant]):
            return variant
    return None


def _model_file(variant: str | None, path: Path, digest: Digest, source: str) -> ModelFile:
    return ModelFile(
        variant=variant,
        path=path,
        size_bytes=digest.size_bytes,
        sha256=digest.sha256,
        source=source,
        official=digest in OFFICIAL.values(),
    )


# --------------------------------------------------------------------------------------------
# Sources 3 and 4 under a lock, installed atomically
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
            url = download.model_url(variant)
            say(f"Downloading {url}")
            try:
                digest = _install_download(url, target, OFFICIAL[variant])
            except SourceFailed as exc:
                attempts.add(f"download ({url})", str(exc))
                say(f"Download failed: {exc}")
            else:
                return _model_file(variant, target, digest, "download")
        else:
            attempts.add("download from Google's model storage", "skipped (offline)")

        say(f"Building the {variant} model from Google's legacy files (offline build)")
        try:
            data = offline_build.build(variant, target.parent / "sources", say)
            digest = _install_bytes(data, target, validate_bundle)
        except SourceFailed as exc:
            attempts.add("offline build from registry packages", str(exc))
        except Exception as exc:  # noqa: BLE001 - reported below, with the error's type
            # E.g. a future mediapipe wheel whose generated schemas changed shape: the user
            # gets the reason in the list of sources tried instead of a traceback.
            attempts.add(
                "offline build from registry packages",
                f"failed unexpectedly ({type(exc).__name__}: {exc})",
            )
        else:
            if digest != OFFLINE_BUILD[variant]:
                # Still a structurally valid bundle (checked), e.g. from another flatbuffers
                # release that lays vtables out differently; say so rather than refuse it.
                say(
                    "Note: the built file's SHA-256 matches no known build "
                    f"({digest.sha256}); it passed the structural checks."
                )
            return _model_file(variant, target, digest, "offline-build")

    raise ModelUnavailableError(_unavailable_message(variant, attempts))


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


def _install_download(url: str, target: Path, expected: Digest) -> Digest:
    """Download ``url`` into ``target`` atomically if its size and SHA-256 are as expected.

    Raises:
        SourceFailed: no connection, a timeout, different bytes, or a disk error.
    """
    try:
        with _temp_beside(target) as (handle, tmp):
            got = download.download(url, handle, expected)
            _commit(handle, tmp, target)
            return got
    except OSError as exc:
        raise SourceFailed(f"cannot write {target} ({exc})") from exc


def _install_bytes(data: bytes, target: Path, check: Callable[[Path], None]) -> Digest:
    """Write ``data`` to ``target`` atomically after ``check`` accepts the written file.

    Raises:
        SourceFailed: ``check`` rejected the file, or it could not be written.
    """
    try:
        with _temp_beside(target) as (handle, tmp):
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            check(tmp)
            _commit(handle, tmp, target)
    except InvalidModelError as exc:
        raise SourceFailed(f"the result is not a valid bundle ({exc})") from exc
    except OSError as exc:
        raise SourceFailed(f"cannot write {target} ({exc})") from exc
    return bytes_digest(data)
