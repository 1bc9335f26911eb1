"""The accuracy bench on the dev set's validation part (100 images, no mirror pass).

Needs the owner's 300 synthetic renders (not committed); skips without them (tests/conftest.py).

Guards the calibration and the outline code against regressions; the full numbers come
from ``bench/accuracy.py`` (see bench/README.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from posture_cam.pose.models import ModelFile

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("accuracy_bench", BENCH / "accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_validation_meets_targets(synth_dev: Path, full_model: ModelFile) -> None:
    bench = _load_bench()
    s = bench.run(synth_dev, "full", "validation", mirror=False)
    assert s["n"] == 100
    assert s["detection_rate"] >= 0.98
    assert s["pelvic_tilt"]["mae"] <= 4.0, s["pelvic_tilt"]
    assert s["lordosis"]["mae"] <= 5.0, s["lordosis"]
    # The estimates must beat answering everyone with the training mean by a wide margin.
    assert s["pelvic_tilt"]["mae"] < 0.6 * s["baseline"]["tilt_train_mean_mae"]
    assert s["lordosis"]["mae"] < 0.6 * s["baseline"]["lordosis_train_mean_mae"]
    assert s["pelvic_tilt"]["spearman"] > 0.7 and s["lordosis"]["spearman"] > 0.7
