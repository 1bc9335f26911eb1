"""Unit tests for measure.calibration: the file format and the shipped estimator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posture_cam.measure.calibration import (
    MODES,
    Calibration,
    ConfidenceCalibration,
    ErrorStats,
    VariantCalibration,
    load_calibration,
)
from posture_cam.measure.estimator import ESTIMATOR_FORMAT_VERSION, AngleEstimator, Network
from posture_cam.measure.metrics import FEATURE_NAMES
from posture_cam.measure.occlusion import OCCLUDERS, OcclusionCues, OcclusionModel

METRICS = ("pelvic_tilt_deg", "lumbar_lordosis_deg")


def _variant(mae: float) -> VariantCalibration:
    net = Network(((np.eye(2), np.zeros(2)), (np.eye(2), np.zeros(2))))
    est = AngleEstimator(("a", "b"), np.zeros(2), np.ones(2), np.zeros(2), np.ones(2), (net,))
    errors = {
        mode: {m: ErrorStats(mae * (k + 1), 2.5 * mae * (k + 1), 1.5 * mae, 100) for m in METRICS}
        for k, mode in enumerate(MODES)
    }
    actions = {"loose_top": "block", "hair_on_back": "widen"}
    n, k = 2 * len(OcclusionCues.__dataclass_fields__), len(OCCLUDERS)
    occlusion = OcclusionModel(
        np.zeros(n), np.ones(n), np.full((n, k), mae), np.zeros(k), np.ones(k)
    )
    return VariantCalibration(est, errors, ConfidenceCalibration(1.4, 0.97), occlusion, actions)


def _calibration() -> Calibration:
    return Calibration({"full": _variant(2.0), "lite": _variant(3.0)}, {"default_variant": "full"})


def test_round_trip_through_the_file_format() -> None:
    cal = _calibration()
    back = Calibration.from_arrays(cal.to_arrays())
    assert set(back.variants) == {"full", "lite"}
    v = back.variant("lite")
    assert v.error("pelvic_tilt_deg", "flagged") == ErrorStats(6.0, 15.0, 4.5, 100)
    assert v.confidence == ConfidenceCalibration(1.4, 0.97)
    assert v.occluders == {"loose_top": "block", "hair_on_back": "widen"}
    np.testing.assert_array_equal(v.occlusion.weights, np.full((18, len(OCCLUDERS)), 3.0))
    x = np.array([0.3, -0.2])
    expected, _ = cal.variant("lite").estimator.predict(x)
    np.testing.assert_allclose(v.estimator.predict(x)[0], expected)


def test_unknown_variant_and_mode_fall_back_to_the_default() -> None:
    cal = _calibration()
    assert cal.variant("heavy") is cal.variants["full"]
    assert cal.variant(None) is cal.variants["full"]
    assert cal.variant("full").error("lumbar_lordosis_deg", "no-such-mode").mae == 2.0
    tilt, lordosis = cal.for_variant("lite")
    assert (tilt.mae, lordosis.mae) == (3.0, 3.0)
    assert cal.pelvic_tilt["full"].mae == 2.0


def test_a_file_of_another_format_version_is_refused() -> None:
    arrays = _calibration().to_arrays()
    arrays["format_version"] = np.array(ESTIMATOR_FORMAT_VERSION + 1)
    with pytest.raises(ValueError, match="format"):
        Calibration.from_arrays(arrays)


# -------------------------------------------------------------------- the shipped estimator


def test_shipped_estimator_loads_once_with_the_default_variant() -> None:
    cal = load_calibration()
    assert cal.default_variant in cal.variants
    assert "full" in cal.variants
    assert load_calibration() is cal


def test_shipped_estimators_are_complete_and_sane() -> None:
    cal = load_calibration()
    for name, v in cal.variants.items():
        assert v.estimator.features == FEATURE_NAMES, name
        assert len(v.estimator.members) >= 3, name
        assert np.isfinite(v.estimator.x_mean).all() and (v.estimator.x_scale > 0).all()
        widens = "widen" in v.occluders.values()
        for mode in MODES:
            for m in METRICS:
                e = v.error(m, mode)
                if mode == "flagged" and not widens:
                    assert e.n == 0, (name, m)  # no reading is ever kept with a finding
                    continue
                # The ± people see: positive, its 95th percentile above it, and within
                # reason for angles of a few tens of degrees.
                assert 0.0 < e.mae <= e.p95_abs_error < 30.0, (name, mode, m)
                assert e.n >= 20, (name, mode, m)
        assert 0.5 <= v.confidence.cap <= 0.99
        assert v.confidence.scale > 0
        assert set(v.occluders.values()) <= {"block", "widen"}
        # At the training inputs' mean the answer lies within the training targets' range.
        est, _ = v.estimator.predict(v.estimator.x_mean.copy())
        assert -10 < est[0] < 30 and 0 < est[1] < 60
        assert math.isfinite(float(est.sum()))
