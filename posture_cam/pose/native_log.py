"""Keeping MediaPipe's native log lines out of a long-running process's terminal.

MediaPipe's runtime (LiteRT, absl) writes INFO and WARNING lines straight to file
descriptor 2, below Python: about 40 per model load ("Sparsity tensors may not yet be fully
supported", "Creating LiteRT environment", ...). No logging setting or environment
variable turns them off. The CLI points descriptor 2 at ``/dev/null`` around its MediaPipe
calls; a server cannot, because its other threads (Streamlit, our own logging and
warnings) write to the same descriptor at the same time. :func:`filter_native_stderr`
instead puts a pipe behind descriptor 2 and copies every line through to the terminal
except the native INFO and WARNING lines; native errors and everything Python writes pass.
Set ``POSTURE_CAM_NATIVE_LOG=1`` to see them all (the CLI's ``--verbose``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading

__all__ = ["ENV_NATIVE_LOG", "NATIVE_LOG_LINE", "filter_native_stderr", "is_native_log_line"]

ENV_NATIVE_LOG = "POSTURE_CAM_NATIVE_LOG"
"""Set to 1 to keep MediaPipe's native log lines (no filter)."""

NATIVE_LOG_LINE = re.compile(
    rb"^(?:"
    # LiteRT: "WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported."
    rb"(?:INFO|WARNING|VERBOSE): \[[\w.-]+:\d+\] "
    # absl / glog: "W0000 00:00:1796545250.262523   11981 inference_runner_litert.cc:1433] ..."
    rb"|[IW]\d{4} [\d:.]+ +\d+ [\w.-]+:\d+\] "
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate"
    rb"|WARNING: Logging before InitGoogle\(\) is written to STDERR"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb")"
)
"""The native INFO and WARNING lines hidden; ERROR and FATAL lines are kept."""

_lock = threading.Lock()
_installed = False


def is_native_log_line(line: bytes) -> bool:
    """True for one of MediaPipe's native INFO or WARNING log lines."""
    return NATIVE_LOG_LINE.match(line) is not None


def filter_native_stderr() -> bool:
    """Filter MediaPipe's native log lines out of this process's stderr (once per process).

    Returns:
        True when the filter was put in place by this call; False when it already was, or
        when ``$POSTURE_CAM_NATIVE_LOG`` asks to see the native lines.

    Raises:
        OSError: the pipe could not be made (nothing is changed then).
    """
    global _installed
    if os.environ.get(ENV_NATIVE_LOG, "").strip() not in ("", "0"):
        return False
    with _lock:
        if _installed:
            return False
        sys.stderr.flush()
        read_fd, write_fd = os.pipe()
        terminal = os.dup(2)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        copier = threading.Thread(
            target=_copy_lines, args=(read_fd, terminal), name="native-log-filter", daemon=True
        )
        copier.start()
        atexit.register(_restore, terminal, copier)
        _installed = True
        return True


def _copy_lines(read_fd: int, out_fd: int) -> None:
    pending = b""
    while chunk := _read(read_fd):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = b"".join(line + b"\n" for line in lines if not is_native_log_line(line))
        if kept:
            _write_all(out_fd, kept)
    if pending and not is_native_log_line(pending):
        _write_all(out_fd, pending)
    os.close(read_fd)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return b""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except OSError:
            return


def _restore(terminal: int, copier: threading.Thread) -> None:
    """At exit: give descriptor 2 back to the terminal, and let the copier finish the pipe."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    # Closing the pipe's only write end (descriptor 2) ends the copier once it has drained.
    os.dup2(terminal, 2)
    copier.join(timeout=2.0)
