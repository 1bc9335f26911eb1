"""The check history: the user's own results, kept in one small SQLite file on this computer.

Each saved check keeps its time (UTC), source ("photo" or "live"), the pose-model variant,
pelvic tilt and lumbar lordosis with their ``±`` as columns, the pattern, the quality-gate
codes, an optional note and label, and the full :class:`~posture_cam.report.record.ResultRecord`
as JSON (records saved by earlier versions are read too). **No picture is kept** unless the
caller passes one for that check (``image_jpeg``); it then sits in a BLOB column, NULL
otherwise.

The file, its safety settings and its schema migrations: :mod:`posture_cam.history.db`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal, cast, get_args

from posture_cam.report.record import (
    CSV_COLUMNS,
    MeasureRecord,
    ResultRecord,
    csv_row,
    csv_yes_no,
)
from posture_cam.types import Measurement

from .db import (
    DEFAULT_BUSY_TIMEOUT_S,
    ENV_DATA_DIR,
    HISTORY_FILE,
    MIGRATIONS,
    SCHEMA_VERSION,
    HistoryError,
    apply_migrations,
    connect,
    data_dir,
    default_history_path,
    user_version,
)

__all__ = [
    "ENV_DATA_DIR",
    "HISTORY_FILE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SOURCES",
    "Check",
    "HistoryError",
    "HistoryStore",
    "Source",
    "apply_migrations",
    "connect",
    "data_dir",
    "default_history_path",
]

Source = Literal["photo", "live"]
SOURCES: tuple[Source, ...] = get_args(Source)

_JPEG_MAGIC = b"\xff\xd8\xff"

_COLUMNS = (
    "id, time_utc, source, variant, measurable, pattern, confidence, pelvic_tilt_deg, "
    "pelvic_tilt_pm_deg, lumbar_lordosis_deg, lumbar_lordosis_pm_deg, gate_codes, note, "
    "label, record_json, image_jpeg IS NOT NULL"
)


@dataclass(frozen=True)
class Check:
    """One saved check.

    Attributes:
        id: the database row id (increasing in the order checks were saved).
        time: when the check was taken, timezone-aware, in UTC.
        source: "photo" or "live".
        variant: the pose-model variant that measured it ("lite", "full", "heavy").
        measurable: the quality gates passed and metrics were computed.
        pattern: "increased", "flattened", "neutral" or "inconclusive".
        confidence: the assessment's confidence 0..1 (None if the record had none).
        pelvic_tilt: pelvic tilt in degrees (anterior positive) ± its typical error, or None.
        lumbar_lordosis: surface lordosis in degrees (larger = more curved) ± error, or None.
        gate_codes: codes of the quality-gate findings (blocking and warnings).
        note / label: free text given by the user, or None.
        record: the full result (:class:`~posture_cam.report.record.ResultRecord`).
        has_image: a picture was saved with this check (read it with
            :meth:`HistoryStore.get_image`).
    """

    id: int
    time: datetime
    source: Source
    variant: str
    measurable: bool
    pattern: str
    confidence: float | None
    pelvic_tilt: Measurement | None
    lumbar_lordosis: Measurement | None
    gate_codes: tuple[str, ...]
    note: str | None
    label: str | None
    record: ResultRecord = field(repr=False, compare=False)
    has_image: bool = False

    def metric(self, name: str) -> Measurement | None:
        """``pelvic_tilt_deg`` or ``lumbar_lordosis_deg`` (the record's names), or None."""
        if name == "pelvic_tilt_deg":
            return self.pelvic_tilt
        if name == "lumbar_lordosis_deg":
            return self.lumbar_lordosis
        raise KeyError(f"no column for metric {name!r}; read it from Check.record.metrics")

    @property
    def metric_flags(self) -> tuple[str, ...]:
        metrics = self.record.metrics
        return () if metrics is None else metrics.flags

    @property
    def good(self) -> bool:
        """Usable for a baseline or a trend: measured, both angles present, outline unflagged."""
        return (
            self.measurable
            and self.pelvic_tilt is not None
            and self.lumbar_lordosis is not None
            and not self.metric_flags
        )


def _utc_text(when: datetime, what: str = "when") -> str:
    if not isinstance(when, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (e.g. datetime.now(UTC)), got {when}")
    # Fixed width, so that text order is time order (the index and range queries rely on it).
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _columns(m: MeasureRecord | None) -> tuple[float | None, float | None]:
    """A measure as its (value, ±) columns; (None, None) when it was not measured."""
    if m is None or m.value is None:
        return None, None
    return m.value, m.plus_minus


def _optional_text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be text or None, got {type(value).__name__}")
    value = value.strip()
    return value or None


class HistoryStore:
    """The user's saved checks (see the module docstring for where and how they are kept).

    Usable from several threads (one lock around the connection) and several processes at
    once (WAL). Close it, or use it as a context manager::

        with HistoryStore() as store:
            check_id = store.add(record, source="photo", variant="full")
            checks = store.list()

    Args:
        path: the database file; :func:`default_history_path` when None.
        busy_timeout_s: how long a write waits for another process's write to finish.

    Raises:
        HistoryError: the file cannot be opened, is not a database or is from a newer version.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        self._path = Path(path) if path is not None else default_history_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = connect(self._path, busy_timeout_s)
        try:
            apply_migrations(self._conn)
        except BaseException:
            self._conn.close()
            self._conn = None
            raise

    # -- housekeeping -------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def schema_version(self) -> int:
        with self._cursor() as conn:
            return user_version(conn)

    @property
    def journal_mode(self) -> str:
        """ "wal", unless the file system cannot do it (then SQLite's rollback journal)."""
        with self._cursor() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with self._cursor() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0])

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise HistoryError("the history store is closed")
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:
                raise HistoryError(f"history database {self._path}: {exc}") from exc

    # -- writing ------------------------------------------------------------------------

    def add(
        self,
        record: ResultRecord,
        *,
        source: Source,
        variant: str,
        when: datetime | None = None,
        note: str | None = None,
        label: str | None = None,
        image_jpeg: bytes | None = None,
    ) -> int:
        """Save one check and return its id (committed and synced when this returns).

        Args:
            record: the result to keep.
            source: "photo" or "live".
            variant: the pose-model variant that measured it.
            when: when it was taken, timezone-aware; now (UTC) by default.
            note / label: free text (blank counts as none).
            image_jpeg: a picture to keep with this check, JPEG bytes; only when the user
                asked for it. None (the default) keeps no picture.

        Raises:
            ValueError / TypeError: a bad argument (named in the message).
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        if not isinstance(variant, str) or not variant.strip():
            raise ValueError(f"variant must be a model variant name, got {variant!r}")
        if not isinstance(record, ResultRecord):
            raise TypeError(f"record must be a ResultRecord, got {type(record).__name__}")
        time_text = _utc_text(when if when is not None else datetime.now(UTC))
        note, label = _optional_text(note, "note"), _optional_text(label, "label")
        if image_jpeg is not None:
            if not isinstance(image_jpeg, bytes | bytearray | memoryview):
                raise TypeError(f"image_jpeg must be bytes, got {type(image_jpeg).__name__}")
            image_jpeg = bytes(image_jpeg)
            if not image_jpeg.startswith(_JPEG_MAGIC):
                raise ValueError("image_jpeg must be JPEG bytes (starting with FF D8 FF)")
        metrics = record.metrics
        tilt, tilt_pm = _columns(metrics.pelvic_tilt_deg if metrics is not None else None)
        lord, lord_pm = _columns(metrics.lumbar_lordosis_deg if metrics is not None else None)
        row = (
            time_text,
            source,
            variant.strip(),
            int(record.measurable),
            record.pattern,
            record.assessment.confidence,
            tilt,
            tilt_pm,
            lord,
            lord_pm,
            ";".join(f.code for f in record.findings),
            note,
            label,
            json.dumps(record.to_dict(), ensure_ascii=False, allow_nan=False),
            image_jpeg,
        )
        with self._cursor() as conn:
            # One INSERT in autocommit mode: a transaction of its own, committed here.
            cur = conn.execute(
                "INSERT INTO checks (time_utc, source, variant, measurable, pattern, "
                "confidence, pelvic_tilt_deg, pelvic_tilt_pm_deg, lumbar_lordosis_deg, "
                "lumbar_lordosis_pm_deg, gate_codes, note, label, record_json, image_jpeg) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def delete(self, check_id: int) -> bool:
        """Delete one check (and its picture); True if it existed."""
        with self._cursor() as conn:
            n = conn.execute("DELETE FROM checks WHERE id = ?", (int(check_id),)).rowcount
            self._truncate_wal(conn)
        return n > 0

    def delete_all(self) -> int:
        """Delete every check; return how many there were."""
        with self._cursor() as conn:
            n = conn.execute("DELETE FROM checks").rowcount
            self._truncate_wal(conn)
        return int(n)

    @staticmethod
    def _truncate_wal(conn: sqlite3.Connection) -> None:
        # Old page images of deleted rows stay in the WAL until a checkpoint; copy them back
        # (secure_delete has zeroed them) and truncate. Another process reading at this very
        # moment can keep part of the WAL alive until its next checkpoint: best effort.
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    # -- reading ------------------------------------------------------------------------

    def list(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        label: str | None = None,
        source: Source | None = None,
    ) -> list[Check]:
        """Checks with ``since <= time < until`` (either bound optional), oldest first.

        Args:
            since / until: timezone-aware bounds.
            label / source: only checks with this label / source.
        """
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("time_utc >= ?")
            params.append(_utc_text(since, "since"))
        if until is not None:
            where.append("time_utc < ?")
            params.append(_utc_text(until, "until"))
        if label is not None:
            where.append("label = ?")
            params.append(label)
        if source is not None:
            where.append("source = ?")
            params.append(source)
        sql = f"SELECT {_COLUMNS} FROM checks"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time_utc, id"
        with self._cursor() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_row_to_check(r) for r in rows]

    def get(self, check_id: int) -> Check | None:
        """The check with this id, or None."""
        with self._cursor() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM checks WHERE id = ?", (int(check_id),)
            ).fetchone()
        return None if row is None else _row_to_check(row)

    def get_image(self, check_id: int) -> bytes | None:
        """The picture saved with a check (JPEG bytes), or None."""
        with self._cursor() as conn:
            row = conn.execute(
                "SELECT image_jpeg FROM checks WHERE id = ?", (int(check_id),)
            ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def export_csv(self, file: str | os.PathLike[str] | IO[str]) -> int:
        """Write every check as CSV (one row each, oldest first); return the row count.

        Columns: ``id, time_utc, source, variant, label, note, has_image`` then the columns
        of :data:`posture_cam.report.record.CSV_COLUMNS` (every metric with its ``±``). Pictures are
        not exported.

        Args:
            file: a path, or a text stream opened with ``newline=""``.
        """
        checks = self.list()
        columns = [
            "id",
            "time_utc",
            "source",
            "variant",
            "label",
            "note",
            "has_image",
            *CSV_COLUMNS,
        ]

        def write(fh: IO[str]) -> None:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for c in checks:
                writer.writerow(
                    {
                        **csv_row(c.record),
                        "id": c.id,
                        "time_utc": c.time.isoformat(),
                        "source": c.source,
                        "variant": c.variant,
                        "label": c.label or "",
                        "note": c.note or "",
                        "has_image": csv_yes_no(c.has_image),
                    }
                )

        if isinstance(file, str | os.PathLike):
            with open(file, "w", newline="", encoding="utf-8") as fh:
                write(fh)
        else:
            write(file)
        return len(checks)


def _pm(value: float | None, pm: float | None) -> Measurement | None:
    if value is None:
        return None
    return Measurement(float(value), math.nan if pm is None else float(pm))


def _row_to_check(row: Sequence[Any]) -> Check:
    (
        cid,
        time_text,
        source,
        variant,
        measurable,
        pattern,
        confidence,
        tilt,
        tilt_pm,
        lord,
        lord_pm,
        codes,
        note,
        label,
        record_json,
        has_image,
    ) = row
    return Check(
        id=int(cid),
        time=datetime.fromisoformat(time_text).astimezone(UTC),
        source=cast(Source, source),
        variant=str(variant),
        measurable=bool(measurable),
        pattern=str(pattern),
        confidence=None if confidence is None else float(confidence),
        pelvic_tilt=_pm(tilt, tilt_pm),
        lumbar_lordosis=_pm(lord, lord_pm),
        gate_codes=tuple(c for c in str(codes).split(";") if c),
        note=note,
        label=label,
        record=ResultRecord.from_dict(json.loads(record_json)),
        has_image=bool(has_image),
    )
