"""Downloading Google's published bundle, checked by size and SHA-256 while it streams.

The URL is Google's versioned one (``float16/1``), never ``/latest/``: its bytes may change
under the same name, and the hash check would then reject every download.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import BinaryIO

from .digests import Digest
from .errors import SourceFailed

__all__ = ["URL_TEMPLATE", "download", "model_url"]

URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/1/pose_landmarker_{variant}.task"
)
CONNECT_TIMEOUT_S = 5.0
DOWNLOAD_DEADLINE_S = 300.0


def model_url(variant: str) -> str:
    """Where Google publishes the bundle of ``variant``."""
    return URL_TEMPLATE.format(variant=variant)


def download(url: str, into: BinaryIO, expected: Digest) -> Digest:
    """Stream ``url`` into ``into`` if its size and SHA-256 are as ``expected``.

    Gives up at once on a size the server announces wrongly, on more bytes than expected,
    after :data:`CONNECT_TIMEOUT_S` without an answer or :data:`DOWNLOAD_DEADLINE_S` in all.

    Raises:
        SourceFailed: no connection, a timeout, or different bytes (``into`` then holds a
            partial or wrong file the caller must discard).
    """
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_S
    host = urllib.parse.urlsplit(url).hostname
    if host:
        _resolve_host(host, CONNECT_TIMEOUT_S)
    h = hashlib.sha256()
    size = 0
    request = urllib.request.Request(url, headers={"User-Agent": "posture_cam"})
    try:
        # The timeout bounds the connection and every read; the deadline bounds the whole.
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) != expected.size_bytes:
                raise SourceFailed(
                    f"the server offers {int(length)} bytes, expected {expected.size_bytes}"
                )
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > expected.size_bytes:
                    raise SourceFailed(f"more data than the expected {expected.size_bytes} B")
                if time.monotonic() > deadline:
                    raise SourceFailed(f"took longer than {DOWNLOAD_DEADLINE_S:.0f} s")
                h.update(chunk)
                into.write(chunk)
    except SourceFailed:
        raise
    except urllib.error.HTTPError as exc:
        raise SourceFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise SourceFailed(f"no connection ({exc.reason})") from exc
    except TimeoutError as exc:
        raise SourceFailed(f"no answer within {CONNECT_TIMEOUT_S:.0f} s") from exc
    except OSError as exc:
        raise SourceFailed(f"network or disk error ({exc})") from exc
    got = Digest(size, h.hexdigest())
    if got != expected:
        raise SourceFailed(
            f"downloaded file does not match the published one "
            f"({got.size_bytes} B, SHA-256 {got.sha256})"
        )
    return got


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
        raise SourceFailed(f"name lookup of {host} took longer than {timeout_s:.0f} s")
    error = outcome[0]
    if error is not None:
        raise SourceFailed(f"cannot resolve {host} ({error})")
