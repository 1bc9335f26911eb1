"""With the app's stderr filter on, loading a real model prints none of MediaPipe's native
log lines, and our own warnings still show (the filter itself: tests/unit/test_native_log.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from posture_cam.pose.models import ModelFile
from posture_cam.pose.native_log import ENV_NATIVE_LOG

CHILD = textwrap.dedent(
    """
    import logging, sys
    from posture_cam.pipeline import analyze_file
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.native_log import filter_native_stderr
    if sys.argv[3] == "filter":
        filter_native_stderr()
    with PoseDetector(DetectorOptions(sys.argv[1], variant="lite")) as det:
        analyze_file(sys.argv[2], det)
    logging.warning("our own warning after the model ran")
    """
)


def _stderr_of_a_model_load(model: ModelFile, sample: Path, mode: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != ENV_NATIVE_LOG}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(model.path), str(sample), mode],
        capture_output=True,
        env=env,
        timeout=300,
        check=True,
    )
    return result.stderr.decode("utf-8", "replace")


def test_real_model_load_is_quiet_but_our_warnings_show(lite_model: ModelFile) -> None:
    sample = Path(__file__).resolve().parents[2] / "samples" / "neutral_side.jpg"
    unfiltered = _stderr_of_a_model_load(lite_model, sample, "none")
    filtered = _stderr_of_a_model_load(lite_model, sample, "filter")
    print(f"\nnative log lines: {len(unfiltered.splitlines())} unfiltered, filtered:\n{filtered}")
    # The lines are there to hide: otherwise this test would prove nothing.
    assert "Sparsity tensors may not yet be fully supported" in unfiltered
    assert "Sparsity" not in filtered and "LiteRT" not in filtered
    assert filtered.strip().splitlines() == ["WARNING:root:our own warning after the model ran"]
