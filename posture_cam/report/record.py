"""The result record: one typed shape for a result, behind the app, the PDF, history and exports.

A :class:`ResultRecord` is made once, from the pipeline's results (:func:`result_record`,
:func:`photo_record`, or the live processor's steady state), and read everywhere else through
its fields. It turns into JSON with :meth:`ResultRecord.to_dict` and back with
:meth:`ResultRecord.from_dict`, which also reads the records saved before the schema had a
version. The JSON schema is documented in ``docs/result-record.md``; change it only together
with :data:`SCHEMA_VERSION` and that document.

Pure: no I/O, and no import of the pipeline or of anything that loads OpenCV or MediaPipe, so
that the PDF and the history can use records without them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, Protocol, cast, get_args

from posture_cam.landmarks import Side
from posture_cam.measure.classify import Assessment
from posture_cam.measure.gates import Finding, GateReport, Severity
from posture_cam.types import PATTERNS, Detection, Facing, Measurement, Pattern, PostureMetrics

from .exercises import exercises_for

__all__ = [
    "CSV_COLUMNS",
    "METRIC_LABELS",
    "SCHEMA_VERSION",
    "AnalysedPhoto",
    "AssessmentRecord",
    "FindingRecord",
    "MeasureRecord",
    "MetricsRecord",
    "ReasonRecord",
    "ResultRecord",
    "csv_row",
    "csv_yes_no",
    "photo_record",
    "result_record",
]

SCHEMA_VERSION = 2
"""Version of the JSON written by :meth:`ResultRecord.to_dict`.

1: the records written before the schema had a version (no ``schema_version`` key; keys that
did not apply to a result were left out). 2: every key always present (``null`` when it does
not apply) and ``schema_version`` added.
"""

# Field -> (label for people, unit). The order is the order of tables.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "pelvic_tilt_deg": ("Pelvic tilt (ASIS-PSIS, + = forward)", "°"),
    "lumbar_lordosis_deg": ("Lower-back curve (surface lordosis)", "°"),
    "lumbar_depth_ratio": ("Lower-back hollow depth / trunk length", ""),
    "trunk_inclination_deg": ("Trunk lean (+ = forward)", "°"),
    "hip_angle_deg": ("Hip angle (trunk-thigh, 180 = straight)", "°"),
    "knee_flexion_deg": ("Knee bend", "°"),
    "ear_offset_pct_height": ("Ear ahead of ankle", "% height"),
    "shoulder_offset_pct_height": ("Shoulder ahead of ankle", "% height"),
    "hip_offset_pct_height": ("Hip ahead of ankle", "% height"),
    "knee_offset_pct_height": ("Knee ahead of ankle", "% height"),
}


def _num(x: Any) -> float | None:
    """A finite number rounded to 3 decimals; None for None, NaN and infinity."""
    if x is None:
        return None
    f = float(x)
    return round(f, 3) if math.isfinite(f) else None


def _int(x: Any) -> int | None:
    return None if x is None else int(x)


def _need(d: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise ValueError(f"{where} lacks {key!r}")
    return d[key]


@dataclass(frozen=True)
class MeasureRecord:
    """A number with its typical error, both None when it was not measured."""

    value: float | None
    plus_minus: float | None

    @classmethod
    def of(cls, m: Measurement) -> MeasureRecord:
        return cls(_num(m.value), _num(m.plus_minus))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> MeasureRecord:
        d = d or {}
        return cls(_num(d.get("value")), _num(d.get("plus_minus")))


@dataclass(frozen=True)
class FindingRecord:
    """A quality-gate finding (:class:`posture_cam.measure.gates.Finding`) as kept."""

    code: str
    severity: Severity
    message: str
    hint: str
    value: float | None = None
    threshold: float | None = None

    @classmethod
    def of(cls, f: Finding) -> FindingRecord:
        return cls(f.code, f.severity, f.message, f.hint, _num(f.value), _num(f.threshold))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FindingRecord:
        severity = d.get("severity", "block")
        if severity not in get_args(Severity):
            raise ValueError(f"finding severity must be 'block' or 'warn', got {severity!r}")
        return cls(
            code=str(_need(d, "code", "a finding")),
            severity=cast(Severity, severity),
            message=str(d.get("message", "")),
            hint=str(d.get("hint", "")),
            value=_num(d.get("value")),
            threshold=_num(d.get("threshold")),
        )


@dataclass(frozen=True)
class MetricsRecord:
    """Every measure with its ± (names and units: :data:`METRIC_LABELS`), and outline flags."""

    pelvic_tilt_deg: MeasureRecord
    lumbar_lordosis_deg: MeasureRecord
    lumbar_depth_ratio: MeasureRecord
    trunk_inclination_deg: MeasureRecord
    hip_angle_deg: MeasureRecord
    knee_flexion_deg: MeasureRecord
    ear_offset_pct_height: MeasureRecord
    shoulder_offset_pct_height: MeasureRecord
    hip_offset_pct_height: MeasureRecord
    knee_offset_pct_height: MeasureRecord
    camera_roll_deg: MeasureRecord | None = None
    flags: tuple[str, ...] = ()

    def measure(self, name: str) -> MeasureRecord:
        """The measure called ``name`` (a key of :data:`METRIC_LABELS`)."""
        if name not in METRIC_LABELS:
            raise KeyError(f"no measure {name!r}; known: {', '.join(METRIC_LABELS)}")
        m: MeasureRecord = getattr(self, name)
        return m

    @classmethod
    def of(cls, m: PostureMetrics) -> MetricsRecord:
        return cls(
            **{name: MeasureRecord.of(getattr(m, name)) for name in METRIC_LABELS},
            camera_roll_deg=(
                None if m.camera_roll_deg is None else MeasureRecord.of(m.camera_roll_deg)
            ),
            flags=tuple(m.flags),
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MetricsRecord:
        roll = d.get("camera_roll_deg")
        return cls(
            **{name: MeasureRecord.from_dict(d.get(name)) for name in METRIC_LABELS},
            camera_roll_deg=None if roll is None else MeasureRecord.from_dict(roll),
            flags=tuple(str(f) for f in d.get("flags") or ()),
        )


@dataclass(frozen=True)
class ReasonRecord:
    """One reason behind a call: a measure, its value ± error, against the typical range."""

    metric: str
    value: float | None
    plus_minus: float | None
    typical: float | None
    typical_sd: float | None
    z: float | None
    text: str
    source: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReasonRecord:
        return cls(
            metric=str(d.get("metric", "")),
            value=_num(d.get("value")),
            plus_minus=_num(d.get("plus_minus")),
            typical=_num(d.get("typical")),
            typical_sd=_num(d.get("typical_sd")),
            z=_num(d.get("z")),
            text=str(d.get("text", "")),
            source=str(d.get("source", "")),
        )


@dataclass(frozen=True)
class AssessmentRecord:
    """The pattern call: title, confidence 0..1, summary, reasons, problems, exercise keys."""

    pattern: Pattern
    title: str
    confidence: float
    summary: str
    reasons: tuple[ReasonRecord, ...] = ()
    problems: tuple[str, ...] = ()
    exercises: tuple[str, ...] = ()

    @classmethod
    def of(cls, a: Assessment) -> AssessmentRecord:
        return cls(
            pattern=a.pattern,
            title=a.title,
            confidence=round(a.confidence, 3),
            summary=a.summary,
            reasons=tuple(
                ReasonRecord(
                    metric=r.metric,
                    value=_num(r.value),
                    plus_minus=_num(r.plus_minus),
                    typical=_num(r.neutral),
                    typical_sd=_num(r.band),
                    z=_num(r.z),
                    text=r.text,
                    source=r.source,
                )
                for r in a.reasons
            ),
            problems=tuple(a.problems),
            exercises=tuple(e.key for e in exercises_for(a.pattern)),
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AssessmentRecord:
        pattern = _need(d, "pattern", "the assessment")
        if pattern not in PATTERNS:
            raise ValueError(f"assessment pattern must be one of {PATTERNS}, got {pattern!r}")
        return cls(
            pattern=cast(Pattern, pattern),
            title=str(d.get("title", "")),
            confidence=_num(d.get("confidence")) or 0.0,
            summary=str(d.get("summary", "")),
            reasons=tuple(ReasonRecord.from_dict(r) for r in d.get("reasons") or ()),
            problems=tuple(str(p) for p in d.get("problems") or ()),
            exercises=tuple(str(k) for k in d.get("exercises") or ()),
        )


@dataclass(frozen=True, kw_only=True)
class ResultRecord:
    """One result (a photo, a camera snapshot or a steady live reading), as kept and exported.

    Attributes:
        file: the picture's name, or the live check's label.
        model_variant: the pose model that measured it ("lite", "full", "heavy"), if known.
        read_ok / image_size / people_found: for a picture: whether it could be read, its
            (width, height) in pixels and how many people were found; None for live results.
        live_frames / live_window_s / live_fps: for a live result: frames in the smoothing
            window, the window's length in seconds and the frame rate; None for pictures.
        near_side / facing / side_view_ratio: what the gates found about the view.
        measurable: the gates passed and the measures were taken.
        findings: the quality gates' findings, blocking ones first.
        metrics: the measures (None when the picture could not be measured).
        assessment: the pattern call.
        schema_version: :data:`SCHEMA_VERSION` of the JSON this record writes.
    """

    file: str
    measurable: bool
    findings: tuple[FindingRecord, ...]
    metrics: MetricsRecord | None
    assessment: AssessmentRecord
    model_variant: str | None = None
    read_ok: bool | None = None
    image_size: tuple[int, int] | None = None
    people_found: int | None = None
    live_frames: int | None = None
    live_window_s: float | None = None
    live_fps: float | None = None
    near_side: Side | None = None
    facing: Facing | None = None
    side_view_ratio: float | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def pattern(self) -> Pattern:
        return self.assessment.pattern

    @property
    def pelvic_tilt(self) -> MeasureRecord | None:
        """Pelvic tilt ± error, None when the picture could not be measured."""
        return None if self.metrics is None else self.metrics.pelvic_tilt_deg

    @property
    def lumbar_lordosis(self) -> MeasureRecord | None:
        """Lower-back curve ± error, None when the picture could not be measured."""
        return None if self.metrics is None else self.metrics.lumbar_lordosis_deg

    @property
    def blocking(self) -> tuple[FindingRecord, ...]:
        """The findings that stopped the measurement."""
        return tuple(f for f in self.findings if f.severity == "block")

    @property
    def warnings(self) -> tuple[FindingRecord, ...]:
        """The findings that ask for care without stopping the measurement."""
        return tuple(f for f in self.findings if f.severity == "warn")

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready record (``docs/result-record.md``): plain types, no NaN."""
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for f in fields(self):
            if f.name != "schema_version":
                out[f.name] = _plain(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResultRecord:
        """Read a record written by :meth:`to_dict`, of this or an earlier schema version.

        Raises:
            ValueError: a required key is missing, a value is invalid, or the record comes
                from a newer posture_cam (a higher ``schema_version``).
        """
        version = int(d.get("schema_version", 1))
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"the record has schema version {version}; this posture_cam reads up to "
                f"{SCHEMA_VERSION}: update posture_cam to read it"
            )
        metrics = d.get("metrics")
        size = d.get("image_size")
        read_ok = d.get("read_ok")
        return cls(
            file=str(d.get("file", "")),
            measurable=bool(_need(d, "measurable", "the record")),
            findings=tuple(
                FindingRecord.from_dict(f) for f in _need(d, "findings", "the record") or ()
            ),
            metrics=None if metrics is None else MetricsRecord.from_dict(metrics),
            assessment=AssessmentRecord.from_dict(_need(d, "assessment", "the record") or {}),
            model_variant=None if d.get("model_variant") is None else str(d["model_variant"]),
            read_ok=None if read_ok is None else bool(read_ok),
            image_size=None if size is None else (int(size[0]), int(size[1])),
            people_found=_int(d.get("people_found")),
            live_frames=_int(d.get("live_frames")),
            live_window_s=_num(d.get("live_window_s")),
            live_fps=_num(d.get("live_fps")),
            near_side=d.get("near_side"),
            facing=d.get("facing"),
            side_view_ratio=_num(d.get("side_view_ratio")),
        )


def _plain(x: Any) -> Any:
    """Dataclasses to dicts and tuples to lists, recursively (for JSON)."""
    if is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in fields(x)}
    if isinstance(x, tuple | list):
        return [_plain(v) for v in x]
    return x


def result_record(
    name: str,
    gates: GateReport,
    metrics: PostureMetrics | None,
    assessment: Assessment,
    *,
    model_variant: str | None = None,
    live_frames: int | None = None,
    live_window_s: float | None = None,
    live_fps: float | None = None,
) -> ResultRecord:
    """The record of one result (photo or live) from the pipeline's parts."""
    return ResultRecord(
        file=name,
        measurable=gates.passed and metrics is not None,
        findings=tuple(FindingRecord.of(f) for f in gates.findings),
        metrics=None if metrics is None else MetricsRecord.of(metrics),
        assessment=AssessmentRecord.of(assessment),
        model_variant=model_variant,
        live_frames=_int(live_frames),
        live_window_s=_num(live_window_s),
        live_fps=_num(live_fps),
        near_side=gates.near_side,
        facing=gates.facing,
        side_view_ratio=_num(gates.side_view_ratio),
    )


class _Picture(Protocol):
    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...


class AnalysedPhoto(Protocol):
    """What :func:`photo_record` reads of a :class:`posture_cam.pipeline.PhotoAnalysis`."""

    @property
    def name(self) -> str: ...

    @property
    def image(self) -> _Picture | None: ...

    @property
    def detection(self) -> Detection | None: ...

    @property
    def gates(self) -> GateReport: ...

    @property
    def metrics(self) -> PostureMetrics | None: ...

    @property
    def assessment(self) -> Assessment: ...


def photo_record(analysis: AnalysedPhoto, model_variant: str | None = None) -> ResultRecord:
    """The record of an analysed photo, with what was read and how many people were found."""
    a = analysis
    rec = result_record(a.name, a.gates, a.metrics, a.assessment, model_variant=model_variant)
    return replace(
        rec,
        read_ok=a.image is not None,
        image_size=None if a.image is None else (a.image.width, a.image.height),
        people_found=None if a.detection is None else a.detection.n_people,
    )


CSV_COLUMNS = (
    (
        "file",
        "model_variant",
        "read_ok",
        "people_found",
        "near_side",
        "measurable",
        "pattern",
        "confidence",
    )
    + tuple(k for name in METRIC_LABELS for k in (name, name + "_plus_minus"))
    + ("finding_codes", "messages")
)


def csv_yes_no(flag: bool | None) -> str:
    """A CSV cell for a yes/no fact: "yes" or "no", empty when not known."""
    return "" if flag is None else "yes" if flag else "no"


def _csv_number(x: float | None) -> float | None:
    """A CSV number: empty (None) when missing or not finite, else rounded to 0.001."""
    return None if x is None or not math.isfinite(x) else round(x, 3)


def csv_row(rec: ResultRecord) -> dict[str, Any]:
    """One CSV row (:data:`CSV_COLUMNS`) of a record, written for spreadsheets.

    Yes/no facts are "yes"/"no"; what is missing or does not apply is an empty cell, never a
    made-up number: an inconclusive result has no confidence, an unmeasured picture no
    angles.
    """
    inconclusive = rec.assessment.pattern == "inconclusive"
    row: dict[str, Any] = {
        "file": rec.file,
        "model_variant": rec.model_variant,
        "read_ok": csv_yes_no(rec.read_ok),
        "people_found": rec.people_found,
        "near_side": rec.near_side,
        "measurable": csv_yes_no(rec.measurable),
        "pattern": rec.assessment.pattern,
        "confidence": None if inconclusive else _csv_number(rec.assessment.confidence),
    }
    for name in METRIC_LABELS:
        m = rec.metrics.measure(name) if rec.metrics is not None else MeasureRecord(None, None)
        row[name] = _csv_number(m.value)
        row[name + "_plus_minus"] = _csv_number(m.plus_minus)
    row["finding_codes"] = ";".join(f.code for f in rec.findings)
    row["messages"] = " | ".join(f.message for f in rec.findings)
    return row
