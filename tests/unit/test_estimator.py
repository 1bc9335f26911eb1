"""Unit tests for posture_cam.measure.estimator: hand-worked networks and round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture_cam.measure.estimator import AngleEstimator, Network


def _linear(w: list[list[float]], b: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)


# One hidden tanh unit per output, then a scale: out_j = 2 * tanh(x_j) + 1.
NET = Network((_linear([[1, 0], [0, 1]], [0, 0]), _linear([[2, 0], [0, 2]], [1, 1])))


def _estimator(*members: Network) -> AngleEstimator:
    return AngleEstimator(
        features=("a", "b"),
        x_mean=np.array([1.0, -1.0]),
        x_scale=np.array([2.0, 0.5]),
        y_mean=np.array([10.0, 30.0]),
        y_scale=np.array([5.0, 10.0]),
        members=members or (NET,),
    )


def test_network_by_hand() -> None:
    out = NET(np.array([[0.5, -0.25]]))
    np.testing.assert_allclose(out, [[2 * math.tanh(0.5) + 1, 2 * math.tanh(-0.25) + 1]])


def test_estimator_standardises_inputs_and_outputs() -> None:
    # x = (2, -1.25): z = ((2 - 1) / 2, (-1.25 + 1) / 0.5) = (0.5, -0.5)
    est, spread = _estimator().predict(np.array([2.0, -1.25]))
    expected = [10 + 5 * (2 * math.tanh(0.5) + 1), 30 + 10 * (2 * math.tanh(-0.5) + 1)]
    np.testing.assert_allclose(est, expected)
    np.testing.assert_allclose(spread, [0.0, 0.0])


def test_ensemble_is_the_mean_and_the_spread_its_sd() -> None:
    shifted = Network((NET.layers[0], (NET.layers[1][0], np.array([3.0, -1.0]))))
    est, spread = _estimator(NET, shifted).predict(np.array([[1.0, -1.0]]))
    # z = 0: NET gives (1, 1), shifted gives (3, -1) in standard units.
    np.testing.assert_allclose(est, [[10 + 5 * 2, 30 + 10 * 0]])
    np.testing.assert_allclose(spread, [[5 * 1, 10 * 1]])


def test_missing_feature_gives_nan_not_a_number_from_zeros() -> None:
    est, spread = _estimator().predict(np.array([[np.nan, 0.0], [1.0, -1.0]]))
    assert np.isnan(est[0]).all() and np.isnan(spread[0]).all()
    assert np.isfinite(est[1]).all()


def test_wrong_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="expected 2 features"):
        _estimator().predict(np.zeros(3))
    with pytest.raises(ValueError, match="do not fit"):
        Network((_linear([[1, 0]], [0]),))
    with pytest.raises(ValueError, match="takes 3 inputs"):
        Network((_linear([[1, 0]], [0, 0]), _linear([[1], [1], [1]], [0])))
    with pytest.raises(ValueError, match="at least one member"):
        AngleEstimator(("a",), np.zeros(1), np.ones(1), np.zeros(2), np.ones(2), ())


def test_round_trip_through_plain_arrays() -> None:
    e = _estimator(NET)
    back = AngleEstimator.from_arrays(e.to_arrays())
    assert back.features == e.features
    x = np.array([[0.3, 2.0], [-1.0, 0.5]])
    np.testing.assert_allclose(back.predict(x)[0], e.predict(x)[0], atol=1e-5)  # float32 weights


@given(st.lists(st.floats(-50, 50), min_size=2, max_size=2))
def test_outputs_stay_within_what_the_last_layer_can_reach(x: list[float]) -> None:
    # tanh is bounded: |out_j| <= |w| + |b| in standard units, whatever the input.
    est, _ = _estimator().predict(np.array(x))
    assert 10 + 5 * (-1) <= est[0] <= 10 + 5 * 3
    assert 30 + 10 * (-1) <= est[1] <= 30 + 10 * 3
