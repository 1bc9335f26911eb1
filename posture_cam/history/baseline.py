"""Personal baseline and change: "compared with your own baseline, a real change or noise?".

Pure functions over saved checks (:class:`posture_cam.history.store.Check`); no I/O except
:func:`~posture_cam.history.repeatability.load_repeatability` (through :func:`noise_model`),
which reads the bench's numbers shipped in the package.

**Baseline.** The median, per metric, of the first ``n`` good checks (default 3; "good" =
measured, both angles present, outline not flagged, see :attr:`Check.good`) or of the good
checks in a time range the user picks.

**Change.** ``change = value - baseline`` for pelvic tilt (degrees, anterior positive) and
lumbar lordosis (degrees, larger = more curved).

**Smallest detectable change.** With ``SEM`` the within-person repeatability SD (the spread
of repeated checks of a person who did not change), two single checks differ by more than
``SDC95 = 1.96 * sqrt(2) * SEM`` only 5 % of the time (Weir 2005, J Strength Cond Res
19:231; de Vet et al. 2006). A check's change is a **real change** when ``|change| > SDC``,
else **within noise**. When the check and the baseline have different SEMs (a live check,
another model) the two are combined: ``SDC = 1.96 * sqrt(SEM_check² + SEM_baseline²)``,
which is the formula above when they are equal. The baseline counts as one measurement
although it is a median of several: conservative, and it leaves room for day-to-day
variation no bench can see.

Where the SEM comes from: the largest of the bench's repeatability, the live window's
spread, the user's own same-day repeats (:mod:`posture_cam.history.repeatability`) and the
measured error of a change (same bodies rendered at set tilts, ``bench/accuracy.py --change``:
the estimator's error that does not cancel within one person, shipped with it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from statistics import median
from typing import TYPE_CHECKING, Any, Literal

from .repeatability import Repeatability, live_window_sd, load_repeatability, pooled_sd
from .store import Check

if TYPE_CHECKING:
    from posture_cam.measure.calibration import Calibration

__all__ = [
    "DEFAULT_BASELINE_N",
    "DIRECTION_WORDS",
    "METRIC_NAMES",
    "MIN_PERSONAL_DF",
    "TRACKED",
    "Z95",
    "Baseline",
    "BaselineReport",
    "MetricChange",
    "NoiseModel",
    "SemEstimate",
    "Verdict",
    "assess_history",
    "compare",
    "compute_baseline",
    "noise_model",
    "personal_sem",
    "sdc95",
]

TRACKED: tuple[str, ...] = ("pelvic_tilt_deg", "lumbar_lordosis_deg")
Z95 = 1.96
DEFAULT_BASELINE_N = 3
MIN_PERSONAL_DF = 2

Verdict = Literal["real change", "within noise"]

# (word for a positive change, word for a negative change), signs as in measure/geometry.py.
DIRECTION_WORDS: dict[str, tuple[str, str]] = {
    "pelvic_tilt_deg": ("more anterior tilt", "more posterior tilt"),
    "lumbar_lordosis_deg": ("more curved", "flatter"),
}
METRIC_NAMES: dict[str, str] = {
    "pelvic_tilt_deg": "pelvic tilt",
    "lumbar_lordosis_deg": "lower-back curve",
}


def sdc95(sem: float) -> float:
    """Smallest detectable change at 95 %: ``1.96 * sqrt(2) * sem`` (same unit as ``sem``)."""
    if not sem >= 0:
        raise ValueError(f"sem must be >= 0, got {sem}")
    return Z95 * math.sqrt(2.0) * sem


@dataclass(frozen=True)
class SemEstimate:
    """A SEM (degrees) and where it came from, in words the report shows to people."""

    value: float
    source: str


@dataclass(frozen=True)
class NoiseModel:
    """Everything that decides a check's SEM (see the module docstring).

    Attributes:
        repeatability: the bench's numbers.
        calibration_pm: variant -> metric -> calibration error (the ``±`` of one frame), to
            recover a live window's SD.
        change_sem: variant -> metric -> the SEM equivalent of the measured error of a
            change (same bodies rendered at set tilts: the SD of the change error / sqrt 2),
            the part of the estimator's error that does not cancel within a person.
        personal: metric -> the user's own same-day SEM, when it has enough data.
        personal_df: its degrees of freedom per metric.
    """

    repeatability: Repeatability
    calibration_pm: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    personal: Mapping[str, float] = field(default_factory=dict)
    personal_df: Mapping[str, int] = field(default_factory=dict)
    change_sem: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def sem(self, check: Check, metric: str) -> SemEstimate:
        """The SEM for one check: the largest of the available estimates."""
        best = SemEstimate(
            self.repeatability.bench_sem(metric, check.variant, check.source),
            f"measured for {check.source} checks with the {check.variant} model",
        )
        m = check.metric(metric)
        cal = (self.calibration_pm.get(check.variant) or {}).get(metric)
        if check.source == "live" and m is not None and cal is not None:
            sd = live_window_sd(m.plus_minus, cal)
            if sd > best.value:
                best = SemEstimate(sd, "the spread of the live window")
        change = (self.change_sem.get(check.variant) or {}).get(metric)
        if change is not None and change > best.value:
            best = SemEstimate(change, f"the measured error of a change ({check.variant} model)")
        mine = self.personal.get(metric)
        if mine is not None and mine > best.value:
            best = SemEstimate(mine, "your repeated checks on the same day")
        return best


def personal_sem(
    checks: Iterable[Check], tz: tzinfo | None = None, min_df: int = MIN_PERSONAL_DF
) -> tuple[dict[str, float], dict[str, int]]:
    """The user's own repeatability: pooled SD of good checks on the same day and label.

    Args:
        checks: saved checks (only good ones are used).
        tz: the time zone that decides the day; None = this computer's.
        min_df: fewer degrees of freedom than this give no value for that metric.

    Returns:
        (metric -> SEM, metric -> degrees of freedom), metrics with too little data left out.
    """
    groups: dict[tuple[Any, str | None], list[Check]] = defaultdict(list)
    for c in checks:
        if c.good:
            groups[(c.time.astimezone(tz).date(), c.label)].append(c)
    sems: dict[str, float] = {}
    dfs: dict[str, int] = {}
    for metric in TRACKED:
        values = [
            [m.value for c in g if (m := c.metric(metric)) is not None] for g in groups.values()
        ]
        sd, df = pooled_sd(values)
        if df >= min_df:
            sems[metric], dfs[metric] = sd, df
    return sems, dfs


def noise_model(
    checks: Iterable[Check] = (),
    *,
    repeatability: Repeatability | None = None,
    calibration: Calibration | None = None,
    personal: bool = True,
    tz: tzinfo | None = None,
) -> NoiseModel:
    """Build the :class:`NoiseModel` for a history (package data loaded when not given)."""
    from posture_cam.measure.calibration import load_calibration

    checks = list(checks)
    rep = repeatability if repeatability is not None else load_repeatability()
    cal = calibration if calibration is not None else load_calibration()
    cal_pm: dict[str, dict[str, float]] = {}
    change_sem: dict[str, dict[str, float]] = {}
    for variant in {c.variant for c in checks}:
        own = cal.variant(variant)
        cal_pm[variant] = {m: own.error(m).mae for m in TRACKED}
        change_sem[variant] = {m: own.error(m, "change").sd / math.sqrt(2.0) for m in TRACKED}
    mine, dfs = personal_sem(checks, tz) if personal else ({}, {})
    return NoiseModel(rep, cal_pm, mine, dfs, change_sem)


@dataclass(frozen=True)
class Baseline:
    """The person's own reference values.

    Attributes:
        values: metric -> median of the baseline checks (degrees).
        sem: metric -> SEM used for the baseline (the largest of its checks').
        check_ids: the checks it was made from, oldest first.
        start / end: time of the first and last of them (UTC).
        method: "first" (the first ``n`` good checks) or "range" (a picked time range).
    """

    values: Mapping[str, float]
    sem: Mapping[str, float]
    check_ids: tuple[int, ...]
    start: datetime
    end: datetime
    method: Literal["first", "range"]

    @property
    def n(self) -> int:
        return len(self.check_ids)

    def describe(self, tz: tzinfo | None = None) -> str:
        """E.g. "median of the first 3 good checks (2025-03-01 to 2025-03-03)"."""
        a = self.start.astimezone(tz).date().isoformat()
        b = self.end.astimezone(tz).date().isoformat()
        when = a if a == b else f"{a} to {b}"
        checks = "1 good check" if self.n == 1 else f"{self.n} good checks"
        if self.method == "first":
            what = "the first good check" if self.n == 1 else f"the first {checks}"
        else:
            what = f"{checks} in the chosen range"
        return f"median of {what} ({when})"


def compute_baseline(
    checks: Iterable[Check],
    noise: NoiseModel,
    *,
    n: int = DEFAULT_BASELINE_N,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Baseline | None:
    """The baseline: median of the first ``n`` good checks, or of those in ``[since, until)``.

    Returns:
        None when there are fewer than ``n`` good checks (or none in the range).

    Raises:
        ValueError: ``n`` < 1.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    good = sorted((c for c in checks if c.good), key=lambda c: (c.time, c.id))
    method: Literal["first", "range"]
    if since is not None or until is not None:
        chosen = [
            c
            for c in good
            if (since is None or c.time >= since) and (until is None or c.time < until)
        ]
        method = "range"
    else:
        chosen = good[:n] if len(good) >= n else []
        method = "first"
    if not chosen:
        return None
    values: dict[str, float] = {}
    sems: dict[str, float] = {}
    for metric in TRACKED:
        xs = [m.value for c in chosen if (m := c.metric(metric)) is not None]
        values[metric] = float(median(xs))
        sems[metric] = max(noise.sem(c, metric).value for c in chosen)
    return Baseline(
        values, sems, tuple(c.id for c in chosen), chosen[0].time, chosen[-1].time, method
    )


@dataclass(frozen=True)
class MetricChange:
    """One metric of one check against the baseline.

    Attributes:
        metric: the metric's field name.
        value / baseline: the check's value and the baseline's (degrees).
        change: ``value - baseline``.
        sem_check / sem_baseline: the SEMs used; ``sem_source`` says where the check's came from.
        sdc: ``1.96 * sqrt(sem_check² + sem_baseline²)``.
        verdict: "real change" when ``|change| > sdc``, else "within noise".
    """

    metric: str
    value: float
    baseline: float
    change: float
    sem_check: float
    sem_baseline: float
    sdc: float
    verdict: Verdict
    sem_source: str = ""

    @property
    def real(self) -> bool:
        return self.verdict == "real change"

    @property
    def direction(self) -> str | None:
        """Words for the sign of the change ("more curved", "flatter", ...); None if zero."""
        if self.change == 0:
            return None
        up, down = DIRECTION_WORDS.get(self.metric, ("higher", "lower"))
        return up if self.change > 0 else down

    def short_text(self) -> str:
        """E.g. "+7.5° real change (more anterior tilt)" or "+1.0° within noise"."""
        head = f"{self.change:+.1f}° {self.verdict}"
        return f"{head} ({self.direction})" if self.real and self.direction else head

    def text(self) -> str:
        """A sentence for people, e.g. for the app and the report."""
        name = METRIC_NAMES.get(self.metric, self.metric)
        if self.real and self.direction:
            return (
                f"{name.capitalize()}: {self.change:+.1f}° against your baseline, "
                f"{self.direction}. A real change: more than the ±{self.sdc:.1f}° two "
                "checks of an unchanged posture can differ by."
            )
        return (
            f"{name.capitalize()}: {self.change:+.1f}° against your baseline, within "
            f"noise: two checks of an unchanged posture can differ by up to "
            f"±{self.sdc:.1f}°."
        )


def compare(check: Check, baseline: Baseline, noise: NoiseModel) -> dict[str, MetricChange]:
    """Each tracked metric of ``check`` against ``baseline``; empty if the check is not good."""
    if not check.good:
        return {}
    out: dict[str, MetricChange] = {}
    for metric in TRACKED:
        m = check.metric(metric)
        if m is None or metric not in baseline.values:
            continue
        sem = noise.sem(check, metric)
        sem_base = baseline.sem[metric]
        sdc = Z95 * math.hypot(sem.value, sem_base)
        change = m.value - baseline.values[metric]
        verdict: Verdict = "real change" if abs(change) > sdc else "within noise"
        out[metric] = MetricChange(
            metric,
            m.value,
            baseline.values[metric],
            change,
            sem.value,
            sem_base,
            sdc,
            verdict,
            sem.source,
        )
    return out


@dataclass(frozen=True)
class BaselineReport:
    """A history's baseline and every good check's change against it.

    Attributes:
        baseline: None until there are enough good checks.
        changes: check id -> metric -> change (good checks only; empty without a baseline).
        noise: the noise model used.
        good_checks: how many good checks the history has.
        needed: good checks still missing for a "first n" baseline (0 once it exists).
    """

    baseline: Baseline | None
    changes: Mapping[int, Mapping[str, MetricChange]]
    noise: NoiseModel
    good_checks: int
    needed: int

    def sdc(self, metric: str) -> float | None:
        """The SDC between two checks like the baseline's: ``1.96 * sqrt(2) * sem``."""
        if self.baseline is None:
            return None
        return sdc95(self.baseline.sem[metric])


def assess_history(
    checks: Sequence[Check],
    noise: NoiseModel | None = None,
    *,
    n: int = DEFAULT_BASELINE_N,
    since: datetime | None = None,
    until: datetime | None = None,
) -> BaselineReport:
    """Baseline and changes for a whole history (see :func:`compute_baseline`, :func:`compare`).

    ``noise`` defaults to :func:`noise_model` over ``checks`` (reads the package's data).
    """
    noise = noise if noise is not None else noise_model(checks)
    baseline = compute_baseline(checks, noise, n=n, since=since, until=until)
    good = sum(1 for c in checks if c.good)
    changes: dict[int, Mapping[str, MetricChange]] = {}
    if baseline is not None:
        for c in checks:
            ch = compare(c, baseline, noise)
            if ch:
                changes[c.id] = ch
    ranged = since is not None or until is not None
    needed = 0 if baseline is not None or ranged else max(n - good, 0)
    return BaselineReport(baseline, changes, noise, good, needed)
