"""Unit tests for measure.calibration: the linear models and the shipped coefficients."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from posture_cam.measure.calibration import Calibration, LinearModel, load_calibration
from posture_cam.measure.metrics import FEATURE_NAMES


def _model(**overrides: object) -> LinearModel:
    kwargs: dict[str, object] = {
        "features": ("a", "b"),
        "mean": np.array([1.0, 2.0]),
        "scale": np.array([2.0, 4.0]),
        "coef": np.array([3.0, -1.0]),
        "intercept": 10.0,
        "mae": 4.5,
        "p95_abs_error": 11.0,
    }
    kwargs.update(overrides)
    return LinearModel(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([1.0, 2.0], 10.0),  # at the mean: the intercept
        ([5.0, 10.0], 14.0),  # 10 + 3 * (4 / 2) - 1 * (8 / 4)
        ([-1.0, 2.0], 7.0),  # 10 + 3 * (-2 / 2)
        ([1.0, 6.0], 9.0),  # 10 - 1 * (4 / 4)
    ],
)
def test_predict_by_hand(x: list[float], expected: float) -> None:
    assert _model().predict(np.array(x)) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_predict_with_a_non_finite_feature_is_nan(bad: float) -> None:
    assert math.isnan(_model().predict(np.array([1.0, bad])))


@pytest.mark.parametrize("shape", [(3,), (1,), (2, 1), (0,)])
def test_predict_rejects_the_wrong_number_of_features(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="expected 2 features"):
        _model().predict(np.zeros(shape))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mean", np.zeros(3)),
        ("scale", np.zeros(1)),
        ("coef", np.zeros((2, 1))),
    ],
)
def test_model_rejects_arrays_not_matching_the_features(field: str, value: np.ndarray) -> None:
    with pytest.raises(ValueError, match=rf"{field} must have shape \(2,\)"):
        _model(**{field: value})


def test_model_round_trips_through_json() -> None:
    m = _model()
    back = LinearModel.from_dict(json.loads(json.dumps(m.to_dict())))
    assert back.features == m.features
    for name in ("mean", "scale", "coef"):
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name))
    assert (back.intercept, back.mae, back.p95_abs_error) == (10.0, 4.5, 11.0)
    assert back.predict(np.array([5.0, 10.0])) == pytest.approx(14.0)


def _calibration() -> Calibration:
    full, lite = _model(), _model(intercept=-3.0)
    return Calibration(
        pelvic_tilt={"full": full, "lite": lite},
        lumbar_lordosis={"full": _model(intercept=20.0), "lite": _model(intercept=21.0)},
        info={"default_variant": "full", "note": "test"},
    )


def test_calibration_round_trips_and_picks_variants() -> None:
    cal = Calibration.from_dict(json.loads(json.dumps(_calibration().to_dict())))
    assert cal.info == {"default_variant": "full", "note": "test"}
    tilt, lordosis = cal.for_variant("lite")
    assert (tilt.intercept, lordosis.intercept) == (-3.0, 21.0)
    tilt, lordosis = cal.for_variant("heavy")  # unknown: the default variant
    assert (tilt.intercept, lordosis.intercept) == (10.0, 20.0)
    tilt, _ = cal.for_variant(None)
    assert tilt.intercept == 10.0


# -------------------------------------------------------------------- the shipped calibration


def test_shipped_calibration_loads_with_a_usable_default_variant() -> None:
    cal = load_calibration()
    default = cal.info.get("default_variant", "full")
    assert default in cal.pelvic_tilt and default in cal.lumbar_lordosis
    assert set(cal.pelvic_tilt) == set(cal.lumbar_lordosis)
    assert "full" in cal.pelvic_tilt
    assert load_calibration() is cal  # read once


def test_shipped_models_are_complete_and_sane() -> None:
    cal = load_calibration()
    for variant in cal.pelvic_tilt:
        for model in cal.for_variant(variant):
            assert model.features, variant
            assert set(model.features) <= set(FEATURE_NAMES), variant
            assert len(set(model.features)) == len(model.features)
            assert np.isfinite(model.mean).all() and np.isfinite(model.coef).all()
            assert (model.scale > 0).all()
            assert math.isfinite(model.intercept)
            # The ± people see: a positive validation error, its 95th percentile above it,
            # and within reason for angles of a few tens of degrees.
            assert 0.0 < model.mae <= model.p95_abs_error < 30.0
            # At the training mean the model answers its intercept.
            assert model.predict(model.mean.copy()) == pytest.approx(model.intercept)
