"""Security defaults, checked on the real server and in an app session.

* ``streamlit run app.py`` with no address on the command line listens on 127.0.0.1 only.
* The effective configuration (``.streamlit/config.toml`` read by Streamlit's own config
  API, as a fresh user with no ``~/.streamlit`` has it) keeps XSRF protection on, usage
  statistics off and the upload limit at 25 MB; the browser is told the same.
* The upload endpoint refuses a request without the XSRF token and a file over the limit.
* An app session (a sample, an upload, "Keep in report", the report with its PDF, JSON and
  CSV) writes no picture or PDF anywhere: temp folder, caches, ``~/.streamlit``, the repo.

The server runs with its own empty ``HOME``, so a developer's global Streamlit settings can
neither hide nor fake a default.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from posture_cam.cli.main import IMAGE_SUFFIXES

REPO = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPO / ".streamlit" / "config.toml"
SAMPLES = REPO / "samples"
START_TIMEOUT_S = 60.0
MAX_UPLOAD_MB = 25  # .streamlit/config.toml
MB = 1024 * 1024  # Streamlit's "megabytes" are MiB


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    xsrf_cookie: str = ""
    messages: list[Any] = field(default_factory=list)

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-40:])


@pytest.fixture(scope="module")
def fresh_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def server(fresh_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``streamlit run app.py`` as a user starts it: no --server.address, no global config."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = dict(os.environ, HOME=str(fresh_home))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    srv = Server(f"http://127.0.0.1:{port}", port, proc, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=2) as r:
                    cookie = r.headers.get("Set-Cookie") or ""
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{srv.log_tail()}")
            time.sleep(0.2)
        assert cookie.startswith("_streamlit_xsrf="), cookie  # XSRF on: the cookie is set
        srv.xsrf_cookie = cookie.split(";")[0].split("=", 1)[1]
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


# ------------------------------------------------------------------------------ binding


def _listening_addresses(pid: int) -> list[str]:
    """Local addresses of the TCP sockets process ``pid`` listens on (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state == "0A" and inode in inodes:  # 0A = LISTEN
                found.append(_decode_address(local, v6))
    return found


def _decode_address(hex_addr: str, v6: bool) -> str:
    """``0100007F:1F90`` -> ``127.0.0.1:8080`` (the kernel prints 32-bit words host-endian)."""
    addr, port = hex_addr.split(":")
    raw = b"".join(
        int(addr[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(addr), 8)
    )
    host = socket.inet_ntop(socket.AF_INET6 if v6 else socket.AF_INET, raw)
    return f"{host}:{int(port, 16)}"


def test_decode_address_from_proc_net() -> None:
    if sys.byteorder != "little":
        pytest.skip("the sample rows are from a little-endian kernel")
    assert _decode_address("0100007F:1F90", v6=False) == "127.0.0.1:8080"
    assert _decode_address("00000000:0050", v6=False) == "0.0.0.0:80"
    assert _decode_address("00000000000000000000000001000000:0050", v6=True) == "::1:80"
    assert _decode_address("00000000000000000000000000000000:0050", v6=True) == ":::80"


def test_server_listens_on_127_0_0_1_only(server: Server) -> None:
    addresses = _listening_addresses(server.process.pid)
    assert f"127.0.0.1:{server.port}" in addresses, addresses
    assert all(a.startswith("127.0.0.1:") for a in addresses), addresses  # no 0.0.0.0 / ::


# ---------------------------------------------------------------------- configuration

_OPTIONS = (
    "server.address",
    "server.enableXsrfProtection",
    "server.enableCORS",
    "server.maxUploadSize",
    "browser.gatherUsageStats",
    "server.headless",
)
_READ_CONFIG = f"""
import json
from streamlit import config
config.get_config_options(force_reparse=True)
print(json.dumps({{k: [config.get_option(k), config.get_where_defined(k)]
                  for k in {list(_OPTIONS)!r}}}))
"""


def test_effective_config_keeps_the_safe_defaults(fresh_home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _READ_CONFIG],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, HOME=str(fresh_home)),
    )
    assert proc.returncode == 0, proc.stderr
    opts = {k: v for k, (v, _) in json.loads(proc.stdout.splitlines()[-1]).items()}
    where = {k: w for k, (_, w) in json.loads(proc.stdout.splitlines()[-1]).items()}
    assert opts["server.address"] == "127.0.0.1"
    assert opts["server.enableXsrfProtection"] is True
    assert opts["server.enableCORS"] is True
    assert opts["browser.gatherUsageStats"] is False
    assert opts["server.maxUploadSize"] == MAX_UPLOAD_MB
    # Set by the repo's file, not by luck of Streamlit's defaults (which change over time).
    for key in (
        "server.address",
        "server.enableXsrfProtection",
        "browser.gatherUsageStats",
        "server.maxUploadSize",
    ):
        assert Path(where[key]).resolve() == CONFIG_FILE.resolve(), (key, where[key])


# ------------------------------------------------------------------ a browser's session


async def _session(server: Server, action: Any) -> Any:
    """Open a session as the browser does (websocket, XSRF token), run ``action(sid)``."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(
        f"ws://127.0.0.1:{server.port}/_stcore/stream",
        subprotocols=["streamlit", server.xsrf_cookie],  # type: ignore[list-item]
        additional_headers={
            "Cookie": f"_streamlit_xsrf={server.xsrf_cookie}",
            "Origin": server.url,
        },
        max_size=None,
    ) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_script_hash = ""
        await ws.send(back.SerializeToString())
        session_id = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), 30))
            server.messages.append(msg)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                session_id = msg.new_session.initialize.session_id
            if kind == "script_finished":
                break
        assert session_id, "no session was opened"
        return await asyncio.to_thread(action, session_id)


def _run_session(server: Server, action: Callable[[str], Any]) -> Any:
    """Run :func:`_session` in a fresh event loop on a thread of its own.

    The main thread may already run an event loop: Playwright's sync API (the end-to-end
    tests' session-scoped browser) keeps one there, and ``asyncio.run`` refuses to nest.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _session(server, action)).result()


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def _put(server: Server, session_id: str, data: bytes, *, token: str | None) -> int:
    body, content_type = _multipart("photo.jpg", data)
    headers = {"Content-Type": content_type, "Cookie": f"_streamlit_xsrf={server.xsrf_cookie}"}
    if token is not None:
        headers["X-Xsrftoken"] = token
    url = f"{server.url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}"
    req = urllib.request.Request(url, data=body, headers=headers, method="PUT")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def _put_declared(server: Server, session_id: str, size: int, *, token: str) -> int:
    """Announce a ``size``-byte file (Content-Length) and read the answer before sending it.

    A refused upload is answered before its body is read; sending 26 MB into a closed
    connection would end in a reset instead of the answer.
    """
    head, content_type = _multipart("big.jpg", b"")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("PUT", f"/_stcore/upload_file/{session_id}/{uuid.uuid4()}")
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(head) + size))
        conn.putheader("Cookie", f"_streamlit_xsrf={server.xsrf_cookie}")
        conn.putheader("X-Xsrftoken", token)
        conn.endheaders()
        return int(conn.getresponse().status)
    finally:
        conn.close()


def test_upload_endpoint_needs_the_xsrf_token_and_holds_the_size_limit(server: Server) -> None:
    photo = (SAMPLES / "neutral_side.jpg").read_bytes()
    assert len(photo) < MB

    def uploads(session_id: str) -> dict[str, int]:
        return {
            "no token": _put(server, session_id, photo, token=None),
            "wrong token": _put(server, session_id, photo, token="2|00|00|0"),
            "photo": _put(server, session_id, photo, token=server.xsrf_cookie),
            "just under": _put(
                server, session_id, b"\xff" * ((MAX_UPLOAD_MB - 1) * MB), token=server.xsrf_cookie
            ),
            "over": _put_declared(
                server, session_id, (MAX_UPLOAD_MB + 1) * MB, token=server.xsrf_cookie
            ),
        }

    got = _run_session(server, uploads)
    assert got == {
        "no token": 403,
        "wrong token": 403,
        "photo": 204,
        "just under": 204,
        "over": 413,
    }, got


def test_browser_is_told_the_limit_and_no_usage_stats(server: Server) -> None:
    if not server.messages:
        _run_session(server, lambda sid: None)
    new_session = next(
        m.new_session for m in server.messages if m.WhichOneof("type") == "new_session"
    )
    assert new_session.config.gather_usage_stats is False
    uploaders = [
        m.delta.new_element.file_uploader
        for m in server.messages
        if m.WhichOneof("type") == "delta"
        and m.delta.WhichOneof("type") == "new_element"
        and m.delta.new_element.WhichOneof("type") == "file_uploader"
    ]
    assert len(uploaders) == 1
    assert uploaders[0].max_upload_size_mb == MAX_UPLOAD_MB
    assert {".jpg", ".png", ".heic"} <= set(uploaders[0].type)


# ------------------------------------------------------------------ nothing on disk

# Every picture file the CLI reads, and other files that would hold a picture or a report.
_PICTURE_SUFFIXES = IMAGE_SUFFIXES | {".avif", ".pdf", ".y4m", ".mp4", ".webm", ".npy"}
_PICTURE_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG",
    b"GIF8",
    b"%PDF",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x93NUMPY",
)
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
}


def _is_picture(path: Path) -> bool:
    if path.suffix.lower() in _PICTURE_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return (
        head.startswith(_PICTURE_MAGIC)
        or head[4:8] == b"ftyp"
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
    )


def _snapshot(roots: list[Path], exclude: list[Path]) -> dict[Path, float]:
    """Every file under ``roots`` with its modification time (names + mtimes)."""
    files: dict[Path, float] = {}
    skip = [e.resolve() for e in exclude]
    for root in roots:
        if not root.is_dir():
            continue
        for folder, dirs, names in os.walk(root):
            here = Path(folder).resolve()
            dirs[:] = [
                d
                for d in dirs
                if d not in _SKIP_DIRS
                and not any((here / d) == s or s in (here / d).parents for s in skip)
            ]
            for name in names:
                p = here / name
                try:
                    files[p] = p.lstat().st_mtime
                except OSError:
                    continue  # vanished meanwhile (another process's temp file)
    return files


def _report_script() -> None:
    from posture_cam.ui.report_page import render_report_page

    render_report_page()


def test_a_photo_session_writes_no_picture_or_pdf_to_disk(
    tmp_path_factory: pytest.TempPathFactory,
    lite_model: Any,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from streamlit.testing.v1 import AppTest

    from posture_cam.pose.models import cache_dir
    from posture_cam.ui import state
    from posture_cam.ui.photo_page import SAMPLES as SAMPLE_LIST

    # The session gets a temporary folder and a home of its own (outside pytest's folders,
    # which are not watched), so that what other programs on this machine write into the
    # shared ones is not taken for the app's; the model cache stays where it is.
    real_streamlit_config = Path.home() / ".streamlit"  # in case Streamlit resolved it early
    session_tmp = Path(tempfile.mkdtemp(prefix="posture_cam_session_"))
    request.addfinalizer(lambda: shutil.rmtree(session_tmp, ignore_errors=True))
    home = session_tmp / "home"
    home.mkdir()
    monkeypatch.setenv("POSTURE_CAM_CACHE_DIR", str(cache_dir()))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(session_tmp / "tmp"))
    (session_tmp / "tmp").mkdir()
    roots = [session_tmp, real_streamlit_config, REPO]
    # Allowed: pytest's own temporary folders.
    exclude = [tmp_path_factory.getbasetemp()]
    before = _snapshot(roots, exclude)

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state[state.KEY_VARIANT] = "lite"
    at.run()
    at.selectbox[0].set_value(
        next(s for s in SAMPLE_LIST if s.file == "increased_curve_side.jpg")
    ).run()
    photo = (SAMPLES / "flattened_curve_side.jpg").read_bytes()
    at.file_uploader[0].set_value(("my_photo.jpg", photo, "image/jpeg")).run()
    for _ in range(2):  # keep both results
        keep = next(b for b in at.button if b.label == "Keep in report")
        keep.click().run()
    assert not at.exception
    session = at.session_state[state.KEY_SESSION]
    assert len(session.entries) == 2

    report = AppTest.from_function(_report_script, default_timeout=120)
    report.session_state[state.KEY_SESSION] = session
    report.run()
    assert not report.exception
    assert [b.label for b in report.download_button] == ["PDF report", "JSON data", "CSV table"]

    after = _snapshot(roots, exclude)
    changed = sorted(p for p, mtime in after.items() if before.get(p) != mtime)
    pictures = [p for p in changed if _is_picture(p)]
    assert not pictures, f"pictures or PDFs written during the session: {pictures}"
