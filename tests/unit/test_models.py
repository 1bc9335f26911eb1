"""Unit tests for the pose model store (no network: only loopback sockets)."""

from __future__ import annotations

import argparse
import http.server
import io
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from posture_cam.cli import models as model_cli
from posture_cam.pose import download, models, offline_build
from posture_cam.pose.digests import Digest
from posture_cam.pose.errors import SourceFailed

VARIANT = "lite"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(models.ENV_CACHE_DIR, str(folder))
    monkeypatch.delenv(models.ENV_MODEL, raising=False)
    return folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# ---- cache folder ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"POSTURE_CAM_CACHE_DIR": "/x/models"}, Path("/x/models")),
        (
            {"POSTURE_CAM_CACHE_DIR": "/x/models", "XDG_CACHE_HOME": "/xdg"},
            Path("/x/models"),
        ),
        ({"XDG_CACHE_HOME": "/xdg"}, Path("/xdg/posture_cam/models")),
        # A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
        ({"XDG_CACHE_HOME": "relative"}, Path("/home/u/.cache/posture_cam/models")),
        ({}, Path("/home/u/.cache/posture_cam/models")),
        ({"POSTURE_CAM_CACHE_DIR": "  "}, Path("/home/u/.cache/posture_cam/models")),
    ],
)
def test_cache_dir_from_environment(
    env: dict[str, str], expected: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("POSTURE_CAM_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/home/u")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert models.cache_dir() == expected


def test_cache_dir_expands_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/u")
    monkeypatch.setenv("POSTURE_CAM_CACHE_DIR", "~/m")
    assert models.cache_dir() == Path("/home/u/m")


def test_cache_dir_creates_nothing(cache: Path) -> None:
    assert models.cache_dir() == cache
    assert not cache.exists()


# ---- resolve_model -------------------------------------------------------------------------------


def test_user_path_is_used_as_is(cache: Path, tmp_path: Path, tiny_bundle: bytes) -> None:
    path = tmp_path / "mine.task"
    path.write_bytes(tiny_bundle)
    model = models.resolve_model("full", path)
    assert model.source == "user"
    assert model.variant is None
    assert model.official is False
    assert model.path == path
    assert model.size_bytes == len(tiny_bundle)


def test_env_model_path_is_used(
    cache: Path, tmp_path: Path, tiny_bundle: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "env.task"
    path.write_bytes(tiny_bundle)
    monkeypatch.setenv(models.ENV_MODEL, str(path))
    assert models.resolve_model(allow_network=False).path == path


def test_bad_user_path_is_an_error_not_a_fallback(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.task"
    path.write_text("nope")
    with pytest.raises(models.InvalidModelError) as info:
        models.resolve_model(VARIANT, path)
    assert str(path) in str(info.value)
    assert "posture-cam models fetch" in str(info.value)


def test_missing_env_model_names_the_variable(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(models.ENV_MODEL, str(tmp_path / "missing.task"))
    with pytest.raises(models.InvalidModelError, match=r"\$POSTURE_CAM_MODEL.*no such file"):
        models.resolve_model(VARIANT)


def test_empty_cache_without_network_names_the_sources(cache: Path) -> None:
    with pytest.raises(models.ModelUnavailableError) as info:
        models.resolve_model(VARIANT, allow_network=False)
    message = str(info.value)
    assert str(cache / "pose_landmarker_lite.task") in message
    assert "download and offline build" in message
    assert "--model PATH" in message
    assert "POSTURE_CAM_MODEL" in message
    assert "posture-cam models fetch --variant lite" in message
    assert not cache.exists()


def test_unknown_variant_is_a_value_error(cache: Path) -> None:
    with pytest.raises(ValueError, match="unknown model variant"):
        models.resolve_model("tiny", allow_network=False)


def test_cached_file_is_found_and_listed(cache: Path, tiny_bundle: bytes) -> None:
    cache.mkdir(parents=True)
    (cache / "pose_landmarker_lite.task").write_bytes(tiny_bundle)
    model = models.resolve_model(VARIANT, allow_network=False)
    assert model.source == "cache"
    assert model.variant == VARIANT
    listed = models.list_models()
    assert [m.variant for m in listed] == [VARIANT]
    assert listed[0].sha256 == model.sha256


def test_broken_cached_file_is_skipped(cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / "pose_landmarker_full.task").write_bytes(b"half a file")
    assert models.list_models() == []
    with pytest.raises(models.ModelUnavailableError, match="not usable"):
        models.resolve_model("full", allow_network=False)


# ---- atomic writes -------------------------------------------------------------------------------


def test_failed_verification_leaves_no_partial_file(cache: Path) -> None:
    cache.mkdir(parents=True)
    target = cache / "pose_landmarker_lite.task"
    with pytest.raises(SourceFailed, match="not a valid bundle"):
        models._install_bytes(b"PK\x03\x04 truncated", target, models.validate_bundle)
    assert not target.exists()
    assert _leftovers(cache) == []


def test_failed_verification_keeps_the_old_file(cache: Path, tiny_bundle: bytes) -> None:
    cache.mkdir(parents=True)
    target = cache / "pose_landmarker_lite.task"
    target.write_bytes(tiny_bundle)
    with pytest.raises(SourceFailed):
        models._install_bytes(b"junk", target, models.validate_bundle)
    assert target.read_bytes() == tiny_bundle
    assert _leftovers(cache) == []


@pytest.fixture
def http_server() -> Iterator[tuple[str, bytes]]:
    """A loopback HTTP server that serves some bytes that are not the expected model."""
    body = b"not the model you are looking for" * 100

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/model.task", body
    finally:
        server.shutdown()
        server.server_close()


def test_download_with_wrong_bytes_leaves_nothing(
    cache: Path, http_server: tuple[str, bytes]
) -> None:
    url, body = http_server
    cache.mkdir(parents=True)
    target = cache / "pose_landmarker_lite.task"
    # Right size announced, wrong bytes: only the hash can tell.
    expected = Digest(len(body), "0" * 64)
    with pytest.raises(SourceFailed, match="does not match"):
        models._install_download(url, target, expected)
    assert not target.exists()
    assert _leftovers(cache) == []


def test_download_with_wrong_size_is_refused(cache: Path, http_server: tuple[str, bytes]) -> None:
    url, _ = http_server
    cache.mkdir(parents=True)
    with pytest.raises(SourceFailed, match="expected 123"):
        models._install_download(url, cache / "x.task", Digest(123, "0" * 64))
    assert _leftovers(cache) == []


# ---- the download fails fast and falls through ------------------------------------------------


def _fake_build_factory(bundle: bytes, delay_s: float = 0.0, log: Path | None = None):  # noqa: ANN202
    def fake_build(variant: str, sources: Path, say: models.Progress) -> bytes:
        if log is not None:
            with log.open("a") as f:
                f.write(f"{os.getpid()} {variant}\n")
        time.sleep(delay_s)
        return bundle

    return fake_build


def test_refused_download_falls_through_to_the_build(
    cache: Path, tiny_bundle: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download, "URL_TEMPLATE", "http://127.0.0.1:9/{variant}.task")
    monkeypatch.setattr(offline_build, "build", _fake_build_factory(tiny_bundle))
    messages: list[str] = []
    model = models.resolve_model(VARIANT, progress=messages.append)
    assert model.source == "offline-build"
    assert model.path == cache / "pose_landmarker_lite.task"
    assert any("Download failed" in m for m in messages)


def test_all_sources_failing_are_all_named(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_build(variant: str, sources: Path, say: models.Progress) -> bytes:
        raise SourceFailed("npm is not installed")

    monkeypatch.setattr(download, "URL_TEMPLATE", "http://127.0.0.1:9/{variant}.task")
    monkeypatch.setattr(offline_build, "build", failing_build)
    with pytest.raises(models.ModelUnavailableError) as info:
        models.resolve_model(VARIANT)
    message = str(info.value)
    assert "cache (" in message
    assert "download (http://127.0.0.1:9/lite.task): no connection" in message
    assert "offline build from registry packages: npm is not installed" in message
    assert "--model PATH" in message
    assert not (cache / "pose_landmarker_lite.task").exists()


def test_silent_server_times_out(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A server that accepts the connection and never answers must not hang the caller.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        monkeypatch.setattr(download, "CONNECT_TIMEOUT_S", 0.5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/m.task"
        cache.mkdir(parents=True)
        with pytest.raises(SourceFailed, match="no answer|no connection"):
            models._install_download(url, cache / "m.task", Digest(1, "0" * 64))
        assert _leftovers(cache) == []
    finally:
        listener.close()


def test_offline_fetch_skips_the_download(
    cache: Path, tiny_bundle: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_download(*args: object, **kwargs: object) -> Digest:
        raise AssertionError("offline fetch must not download")

    monkeypatch.setattr(models, "_install_download", no_download)
    monkeypatch.setattr(offline_build, "build", _fake_build_factory(tiny_bundle))
    model = models.fetch_model(VARIANT, offline=True)
    assert model.source == "offline-build"
    # Cached now: a second fetch does no work, --force does it again.
    assert models.fetch_model(VARIANT, offline=True).source == "cache"
    assert models.fetch_model(VARIANT, offline=True, force=True).source == "offline-build"


# ---- two processes at once --------------------------------------------------------------------


def _fetch_in_child(start: object, results: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    model = models.fetch_model(VARIANT, offline=True)
    results.put((model.source, model.sha256))  # type: ignore[attr-defined]


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork to share the fakes"
)
def test_two_processes_build_once(
    cache: Path, tmp_path: Path, tiny_bundle: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "builds.log"
    # The delay keeps the first builder busy while the second process asks for the lock.
    monkeypatch.setattr(offline_build, "build", _fake_build_factory(tiny_bundle, 1.0, log))
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    results = ctx.Queue()
    workers = [ctx.Process(target=_fetch_in_child, args=(start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert sorted(source for source, _ in outcomes) == ["cache", "offline-build"]
    assert len({sha for _, sha in outcomes}) == 1
    assert len(log.read_text().splitlines()) == 1
    target = cache / "pose_landmarker_lite.task"
    models.validate_bundle(target)
    assert target.read_bytes() == tiny_bundle
    assert _leftovers(cache) == []


# ---- nothing at import time --------------------------------------------------------------------


def test_import_loads_no_mediapipe() -> None:
    import subprocess
    import sys

    code = (
        "import sys, posture_cam.pose.models, posture_cam.cli.models; "
        "heavy = ('mediapipe', 'flatbuffers', 'numpy'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in heavy]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- command line -----------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="posture-cam")
    model_cli.add_models_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_parses_fetch_options() -> None:
    args = _parse(["models", "fetch", "--variant", "heavy", "--offline", "--force"])
    assert (args.command, args.models_command) == ("models", "fetch")
    assert (args.variant, args.offline, args.force) == ("heavy", True, True)
    assert args.func is model_cli.run_models_command
    assert _parse(["models", "fetch"]).variant == models.DEFAULT_VARIANT


def test_cli_list_on_empty_cache(cache: Path) -> None:
    out = io.StringIO()
    assert model_cli.run_models_command(_parse(["models", "list"]), out=out) == 0
    assert "No models cached" in out.getvalue()


def test_cli_fetch_prints_the_model(
    cache: Path, tiny_bundle: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offline_build, "build", _fake_build_factory(tiny_bundle))
    out = io.StringIO()
    code = model_cli.run_models_command(
        _parse(["models", "fetch", "--variant", "lite", "--offline"]), out=out
    )
    assert code == 0
    text = out.getvalue()
    assert "pose_landmarker_lite.task" in text
    assert "SHA-256:" in text
    assert "offline-build" in text
    assert "official" not in text


def test_cli_fetch_failure_exits_3_without_traceback(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_build(variant: str, sources: Path, say: models.Progress) -> bytes:
        raise SourceFailed("npm is not installed")

    monkeypatch.setattr(offline_build, "build", failing_build)
    code = model_cli.run_models_command(_parse(["models", "fetch", "--offline"]))
    assert code == model_cli.EXIT_MODEL_UNAVAILABLE == 3
    err = capsys.readouterr().err
    assert "npm is not installed" in err
    assert "Traceback" not in err
