"""Trend numbers for plotting a history (pure): series with ± bands, the baseline, patterns.

For each tracked metric (pelvic tilt, lumbar lordosis) a :class:`MetricTrend` holds one
:class:`TrendPoint` per good check, oldest first: the value, its ``±`` (the typical error of
one estimate against the truth, which includes a per-body bias that cancels in a change; so
the band says how sure the *level* is) and its change against the baseline with the verdict.
The baseline is drawn as a line with a band of ``± SDC`` (the smallest detectable change
between two checks like the baseline's, :func:`posture_cam.history.baseline.sdc95`): a point of the
same kind outside the band is a real change. Each point's own verdict (:attr:`TrendPoint.change`)
is the authority; it can differ from the band for live checks or other models.

The pattern over time is one :class:`PatternPoint` per check (measured or not), with a level
for a step plot: flattened -1, neutral 0, increased +1, inconclusive None.

:meth:`Trend.rows` gives everything as flat rows (one per check and metric) for a data frame
or a chart library; times are UTC datetimes (convert to local time for display).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .baseline import (
    DEFAULT_BASELINE_N,
    METRIC_NAMES,
    TRACKED,
    Baseline,
    BaselineReport,
    MetricChange,
    NoiseModel,
    assess_history,
)
from .store import Check

__all__ = ["PATTERN_LEVELS", "MetricTrend", "PatternPoint", "Trend", "TrendPoint", "compute_trend"]

PATTERN_LEVELS: dict[str, int] = {"flattened": -1, "neutral": 0, "increased": 1}


@dataclass(frozen=True)
class TrendPoint:
    """One good check on one metric's series.

    Attributes:
        check_id / time / source / variant / label: which check (time in UTC).
        value: the metric (degrees).
        plus_minus: its typical error (degrees; NaN if the record had none).
        in_baseline: the check is one of the baseline's.
        change: against the baseline (None without a baseline).
    """

    check_id: int
    time: datetime
    source: str
    variant: str
    label: str | None
    value: float
    plus_minus: float
    in_baseline: bool
    change: MetricChange | None

    @property
    def lower(self) -> float:
        return self.value - self.plus_minus if math.isfinite(self.plus_minus) else self.value

    @property
    def upper(self) -> float:
        return self.value + self.plus_minus if math.isfinite(self.plus_minus) else self.value


@dataclass(frozen=True)
class MetricTrend:
    """One metric over time.

    Attributes:
        metric: the field name (``pelvic_tilt_deg``, ``lumbar_lordosis_deg``).
        name: for people ("pelvic tilt", "lower-back curve").
        points: good checks, oldest first.
        baseline: the baseline value, or None.
        sdc: the band half-width around the baseline, or None.
    """

    metric: str
    name: str
    points: tuple[TrendPoint, ...]
    baseline: float | None
    sdc: float | None
    unit: str = "°"

    @property
    def band(self) -> tuple[float, float] | None:
        """(baseline - sdc, baseline + sdc), or None without a baseline."""
        if self.baseline is None or self.sdc is None:
            return None
        return self.baseline - self.sdc, self.baseline + self.sdc


@dataclass(frozen=True)
class PatternPoint:
    """The pattern of one check; ``level`` is -1/0/+1, None when inconclusive."""

    check_id: int
    time: datetime
    pattern: str
    level: int | None


@dataclass(frozen=True)
class Trend:
    """Everything a history chart needs (see the module docstring)."""

    metrics: Mapping[str, MetricTrend]
    patterns: tuple[PatternPoint, ...]
    report: BaselineReport

    @property
    def baseline(self) -> Baseline | None:
        return self.report.baseline

    def latest_changes(self) -> tuple[int, Mapping[str, MetricChange]] | None:
        """(check id, changes) of the most recent good check compared with the baseline."""
        points = self.metrics[TRACKED[0]].points
        for p in reversed(points):
            ch = self.report.changes.get(p.check_id)
            if ch:
                return p.check_id, ch
        return None

    def summary_lines(self, tz: tzinfo | None = None) -> list[str]:
        """Plain sentences for a report: the baseline, the SDC, the latest check's changes."""
        b = self.baseline
        if b is None:
            more = self.report.needed
            if more:
                return [
                    f"No baseline yet: {more} more good check{'s' if more != 1 else ''} needed."
                ]
            return ["No baseline: no good check in the chosen range."]
        values = ", ".join(f"{METRIC_NAMES[m]} {b.values[m]:.1f}°" for m in TRACKED)
        sdcs = ", ".join(f"{METRIC_NAMES[m]} ±{self.report.sdc(m):.1f}°" for m in TRACKED)
        lines = [
            f"Baseline: {b.describe(tz)}: {values}.",
            f"Smallest detectable change (95 %): {sdcs}.",
        ]
        latest = self.latest_changes()
        if latest is not None and latest[0] not in b.check_ids:
            cid, changes = latest
            lines.append(f"Latest check (#{cid}):")
            lines.extend(ch.text() for ch in changes.values())
        return lines

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per good check and metric, oldest first.

        Keys: ``time, check_id, source, variant, label, metric, name, value, plus_minus,
        lower, upper, in_baseline, baseline, baseline_lower, baseline_upper, change, sdc,
        verdict`` (``None`` where not known).
        """
        out: list[dict[str, Any]] = []
        for mt in self.metrics.values():
            band = mt.band
            for p in mt.points:
                ch = p.change
                out.append(
                    {
                        "time": p.time,
                        "check_id": p.check_id,
                        "source": p.source,
                        "variant": p.variant,
                        "label": p.label,
                        "metric": mt.metric,
                        "name": mt.name,
                        "value": p.value,
                        "plus_minus": p.plus_minus if math.isfinite(p.plus_minus) else None,
                        "lower": p.lower,
                        "upper": p.upper,
                        "in_baseline": p.in_baseline,
                        "baseline": mt.baseline,
                        "baseline_lower": band[0] if band else None,
                        "baseline_upper": band[1] if band else None,
                        "change": ch.change if ch else None,
                        "sdc": ch.sdc if ch else None,
                        "verdict": ch.verdict if ch else None,
                    }
                )
        out.sort(key=lambda r: (r["time"], r["check_id"]))
        return out


def compute_trend(
    checks: Sequence[Check],
    noise: NoiseModel | None = None,
    *,
    n: int = DEFAULT_BASELINE_N,
    since: datetime | None = None,
    until: datetime | None = None,
    report: BaselineReport | None = None,
) -> Trend:
    """The trend of a history (``checks`` in any order).

    Args:
        checks: saved checks; only good ones make metric points, all make pattern points.
        noise: see :func:`posture_cam.history.baseline.noise_model` (built from ``checks`` if None).
        n / since / until: how the baseline is chosen
            (:func:`~posture_cam.history.baseline.compute_baseline`).
        report: a ready :class:`BaselineReport` for these checks (then the above are unused).
    """
    ordered = sorted(checks, key=lambda c: (c.time, c.id))
    if report is None:
        report = assess_history(ordered, noise, n=n, since=since, until=until)
    base = report.baseline
    in_base = set(base.check_ids) if base is not None else set()
    metrics: dict[str, MetricTrend] = {}
    for metric in TRACKED:
        points = []
        for c in ordered:
            m = c.metric(metric)
            if not c.good or m is None:
                continue
            points.append(
                TrendPoint(
                    c.id,
                    c.time,
                    c.source,
                    c.variant,
                    c.label,
                    m.value,
                    m.plus_minus,
                    c.id in in_base,
                    (report.changes.get(c.id) or {}).get(metric),
                )
            )
        metrics[metric] = MetricTrend(
            metric,
            METRIC_NAMES[metric],
            tuple(points),
            base.values[metric] if base is not None else None,
            report.sdc(metric),
        )
    patterns = tuple(
        PatternPoint(c.id, c.time, c.pattern, PATTERN_LEVELS.get(c.pattern)) for c in ordered
    )
    return Trend(metrics, patterns, report)
