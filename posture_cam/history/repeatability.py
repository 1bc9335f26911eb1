"""How repeatable a check is: the bench's numbers shipped with the package, and pooled SDs.

Where a check's SEM comes from (:class:`posture_cam.history.baseline.NoiseModel` uses the
largest value available to it):

1. *Bench* (``posture_cam/data/repeatability.json`` → ``photo``, made by
   ``bench/repeatability.py``): each synthetic dev image is measured again after small
   realistic changes of the same still picture (JPEG re-encoding at another quality, ±2 %
   scale, 1-2 px shift, ±0.5° rotation) by the real photo pipeline; the SEM is the pooled
   within-image SD (:func:`pooled_sd`), per model variant. The estimate's *error* against
   the truth (the ``±`` shown with each number) is not repeatability: much of it is a
   per-body bias that cancels in a change. This bench sees the pipeline's noise only, not a
   person standing again, so it is a lower bound on the real SEM.
2. *Live* (``repeatability.json`` → ``live``, made by ``bench/repeatability.py --source
   live``): for each of the same synthetic images, several independent *takes* of the same
   still person. A take is a fresh :class:`~posture_cam.live.processor.LiveProcessor` built as
   the Live page builds it, fed 640 × 480 letterboxed frames of the image at 25-30 frames/s
   until it reports a steady result; takes differ by one photo-like change each (as if the
   person were placed again: JPEG re-encoding, ±2 % scale, 1-2 px shift, ±0.5° rotation) and
   every frame by a random walk within ±1 px and sensor noise (σ 2-3 grey levels). The take's
   value is what "Keep this result" keeps at the first steady frame; the live SEM is the
   pooled SD over the takes (:func:`pooled_sd`, one group per image), per model variant. A
   live check uses the larger of the photo and the live value. This too is a lower bound: a
   real person stepping out of view and back in between takes also changes posture, distance
   and angle, which no bench sees (the personal SEM, 3., does). In addition, a live check's
   value is a mean over the smoothing window; the window's SD
   (:mod:`posture_cam.measure.smoothing`) is recovered from its ``±`` (``± = sqrt(sd² +
   cal²)``, with ``cal`` the variant's calibration error) and used as that check's SEM when
   larger (conservative: the SD of single frames, not of their mean, since neighbouring frames
   are far from independent).
3. *Personal*: the user's own repeated checks taken on the same day with the same label
   (e.g. three checks on the first day, stepping away in between, which also make the
   baseline). Their pooled SD includes standing again and placing the camera again, which is
   exactly the repeatability asked about; it is used once it has at least
   :data:`MIN_PERSONAL_DF` degrees of freedom. Give checks before and after an exercise
   different labels so they do not count as repeats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "REPEATABILITY_FILE",
    "Repeatability",
    "live_window_sd",
    "load_repeatability",
    "pooled_sd",
]

REPEATABILITY_FILE = "repeatability.json"


def pooled_sd(groups: Iterable[Sequence[float]]) -> tuple[float, int]:
    """Pooled within-group standard deviation and its degrees of freedom.

    Args:
        groups: repeated measurements, one group per thing that did not change (an image, a
            person on one day). Non-finite values are ignored; groups with fewer than two
            values add nothing.

    Returns:
        ``(sd, df)``; ``(nan, 0)`` when no group has two values.

    Notes:
        ``sd = sqrt(sum_g sum_i (x_gi - mean_g)² / df)`` with ``df = sum_g (n_g - 1)``: the
        within-subject SD of a one-way ANOVA, i.e. the SEM of a test-retest study.
    """
    ss = 0.0
    df = 0
    for g in groups:
        xs = [float(x) for x in g if math.isfinite(float(x))]
        if len(xs) < 2:
            continue
        m = math.fsum(xs) / len(xs)
        ss += math.fsum((x - m) ** 2 for x in xs)
        df += len(xs) - 1
    if df == 0:
        return math.nan, 0
    return math.sqrt(ss / df), df


@dataclass(frozen=True)
class Repeatability:
    """Bench-measured SEM per model variant and metric (degrees).

    Attributes:
        photo: variant -> metric -> SEM of photo checks.
        live: variant -> metric -> SEM of live checks, when measured (may be empty).
        info: how the numbers were made.
    """

    photo: Mapping[str, Mapping[str, float]]
    live: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)

    def bench_sem(self, metric: str, variant: str, source: str = "photo") -> float:
        """The SEM for a check of this variant and source.

        A variant the bench did not measure gets the largest value of those it did. A live
        check gets the larger of the photo and the live value.

        Raises:
            KeyError: no bench value for this metric at all.
        """
        values = _lookup(self.photo, metric, variant)
        if source == "live":
            values += _lookup(self.live, metric, variant)
        if not values:
            raise KeyError(f"no repeatability measured for {metric!r}")
        return max(values)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Repeatability:
        """Read ``repeatability.json``: ``{"photo"|"live": {variant: {metric: {"sem": x}}}}``.

        Other keys (e.g. a variant's ``model_sha256``) are ignored.
        """

        def table(part: str) -> dict[str, dict[str, float]]:
            return {
                variant: {
                    m: float(v["sem"])
                    for m, v in metrics.items()
                    if isinstance(v, Mapping) and v.get("sem") is not None
                }
                for variant, metrics in (d.get(part) or {}).items()
            }

        return cls(photo=table("photo"), live=table("live"), info=dict(d.get("info") or {}))


def _lookup(table: Mapping[str, Mapping[str, float]], metric: str, variant: str) -> list[float]:
    if variant in table and metric in table[variant]:
        return [table[variant][metric]]
    return [t[metric] for t in table.values() if metric in t]


@lru_cache(maxsize=1)
def load_repeatability() -> Repeatability:
    """The bench's repeatability shipped inside the package (read once, on first use)."""
    text = resources.files("posture_cam.data").joinpath(REPEATABILITY_FILE).read_text("utf-8")
    return Repeatability.from_dict(json.loads(text))


def live_window_sd(plus_minus: float, calibration_pm: float) -> float:
    """The smoothing window's SD recovered from a live value's ``±``.

    :class:`posture_cam.measure.smoothing.SmoothedValue` reports ``± = sqrt(sd² + cal²)``; so
    ``sd = sqrt(max(±² - cal², 0))``.
    """
    if not (math.isfinite(plus_minus) and math.isfinite(calibration_pm)):
        return math.nan
    return math.sqrt(max(plus_minus**2 - calibration_pm**2, 0.0))
