"""The stderr filter that keeps MediaPipe's native log lines out of the app's terminal.

The filter changes a process's descriptor 2, so it is tried in child processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from posture_cam.pose.native_log import ENV_NATIVE_LOG, is_native_log_line

# Lines MediaPipe 1.2.3 wrote while loading the full model and measuring one photo.
NATIVE = [
    b"WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported.",
    b"INFO: [environment.cc:36] Creating LiteRT environment with options",
    b"INFO: [cpu_registry.cc:75] XNNPACK CPU accelerator registered.",
    b"INFO: [accelerator_registry.cc:54] RegisterAccelerator: ptr=0x7f27, name=CpuAccelerator",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    b"WARNING: Logging before InitGoogle() is written to STDERR",
    b"W0000 00:00:1796545250.262523   11981 landmark_projection_calculator.cc:81] Using "
    b"NORM_RECT without IMAGE_DIMENSIONS is only supported for the square ROI.",
    b"I0000 00:00:1796545250.141723   11980 gl_context.cc:369] GL version: 2.1",
]
KEPT = [
    b"WARNING:posture_cam.ui.photo_page:analysis of x.jpg failed",
    b"2026-12-06 08:00:00.000 Uncaught app exception",
    b"/work/app.py:3: UserWarning: careful",
    b"E0000 00:00:1796545250.262523   11981 inference.cc:1] Model failed to load",
    b"ERROR: [model_load.cc:12] cannot open the model",
    b"Traceback (most recent call last):",
    b"",
]


@pytest.mark.parametrize("line", NATIVE)
def test_native_info_and_warning_lines_are_recognised(line: bytes) -> None:
    assert is_native_log_line(line)


@pytest.mark.parametrize("line", KEPT)
def test_our_lines_and_native_errors_are_kept(line: bytes) -> None:
    assert not is_native_log_line(line)


CHILD = textwrap.dedent(
    """
    import logging, os, sys, warnings
    from posture_cam.pose.native_log import filter_native_stderr
    print(filter_native_stderr(), filter_native_stderr(), flush=True)
    lines = {native!r}
    for line in lines:
        os.write(2, line + b"\\n")
    logging.warning("our own warning")
    warnings.warn("our own UserWarning")
    print("to stderr from Python", file=sys.stderr)
    os.write(2, b"E0000 00:00:1.5 7 x.cc:1] a native error\\n")
    os.write(2, b"no newline at the end")
    """
)


def _run_child(env_extra: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != ENV_NATIVE_LOG}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(native=NATIVE * 5)],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )


def test_filter_drops_native_lines_and_keeps_the_rest() -> None:
    result = _run_child({})
    assert result.stdout.split() == [b"True", b"False"]  # installed once
    err = result.stderr
    assert not any(line in err for line in NATIVE), err.decode()
    for ours in (
        b"WARNING:root:our own warning",
        b"UserWarning: our own UserWarning",
        b"to stderr from Python",
        b"a native error",
    ):
        assert ours in err, err.decode()
    assert err.endswith(b"no newline at the end")  # flushed at exit, nothing lost


def test_setting_shows_the_native_lines() -> None:
    result = _run_child({ENV_NATIVE_LOG: "1"})
    assert result.stdout.split() == [b"False", b"False"]
    assert result.stderr.count(NATIVE[0]) == 5
