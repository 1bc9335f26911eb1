"""The check history: one small SQLite database of the user's own results, on this computer.

Each saved check keeps its time (UTC), source ("photo" or "live"), the pose-model variant,
pelvic tilt and lumbar lordosis with their ``±`` as columns, the pattern, the quality-gate
codes, an optional note and label, and the full JSON record of
:func:`~posture_cam.report.record.result_record`. **No picture is kept** unless the caller
passes one for that check (``image_jpeg``); it then sits in a BLOB column, NULL otherwise.

Where it lives (:func:`default_history_path`): ``$POSTURE_CAM_DATA_DIR/history.sqlite3``, else
``$XDG_DATA_HOME/posture_cam/history.sqlite3``, else
``~/.local/share/posture_cam/history.sqlite3``; or any path given to :class:`HistoryStore`.
The folder is created (mode 0700) and the file (mode 0600) when a store is opened, never at
import time.

Safety and durability:

* **WAL journal** (``PRAGMA journal_mode=WAL``): readers never block the writer and a
  crashed writer leaves the database consistent; two app sessions or an app and the CLI can
  write at once. Each write is one short transaction (a single ``INSERT``/``DELETE`` in
  autocommit mode), and ``busy_timeout`` makes a writer wait for the other instead of failing.
* **Commit per check** with ``PRAGMA synchronous=FULL``: in WAL mode, NORMAL is already safe
  against a crash of the *process* (a committed transaction is in the WAL file, which the
  operating system keeps), but the last commits may be lost on power loss or an OS crash.
  FULL syncs the WAL at every commit, so a check the user saw as saved survives a power cut
  too. Checks are saved by hand, a few a day, so the one ``fsync`` per check costs nothing
  anyone notices; NORMAL would be the choice for hundreds of writes a second.
* **Deleting means gone**: ``PRAGMA secure_delete=ON`` overwrites deleted rows, and the WAL is
  checkpointed and truncated after a delete (best effort when another process is reading).

Schema versions live in ``PRAGMA user_version`` and move forward only, one migration at a time
(:data:`MIGRATIONS`), each in its own ``BEGIN IMMEDIATE`` transaction that re-reads the version
first, so two processes opening an old database at once migrate it exactly once. A database
from a newer posture_cam (higher version) is refused rather than guessed at.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal, cast, get_args

from posture_cam.types import Measurement

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

ENV_DATA_DIR = "POSTURE_CAM_DATA_DIR"
HISTORY_FILE = "history.sqlite3"

Source = Literal["photo", "live"]
SOURCES: tuple[Source, ...] = get_args(Source)

_PATTERNS = ("increased", "flattened", "neutral", "inconclusive")
_JPEG_MAGIC = b"\xff\xd8\xff"
DEFAULT_BUSY_TIMEOUT_S = 10.0

# Forward migrations: MIGRATIONS[k] takes a database from version k to version k + 1.
# Never edit a released entry; append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first schema.
    (
        """
        CREATE TABLE checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_utc TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('photo', 'live')),
            variant TEXT NOT NULL,
            measurable INTEGER NOT NULL CHECK (measurable IN (0, 1)),
            pattern TEXT NOT NULL,
            confidence REAL,
            pelvic_tilt_deg REAL,
            pelvic_tilt_pm_deg REAL,
            lumbar_lordosis_deg REAL,
            lumbar_lordosis_pm_deg REAL,
            gate_codes TEXT NOT NULL DEFAULT '',
            note TEXT,
            record_json TEXT NOT NULL,
            image_jpeg BLOB
        )
        """,
    ),
    # 2: a free label per check ("morning", "after stretching") to group and filter by, and
    # an index on time: every listing, baseline range and trend is a time-range query.
    (
        "ALTER TABLE checks ADD COLUMN label TEXT",
        "CREATE INDEX checks_by_time ON checks (time_utc, id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "id, time_utc, source, variant, measurable, pattern, confidence, pelvic_tilt_deg, "
    "pelvic_tilt_pm_deg, lumbar_lordosis_deg, lumbar_lordosis_pm_deg, gate_codes, note, "
    "label, record_json, image_jpeg IS NOT NULL"
)


class HistoryError(RuntimeError):
    """The history database cannot be used (not a database, from a newer version, ...)."""


def data_dir() -> Path:
    """The folder for the user's own data (it is not created here).

    ``$POSTURE_CAM_DATA_DIR`` if set, else ``$XDG_DATA_HOME/posture_cam`` (absolute paths
    only, as the XDG spec says), else ``~/.local/share/posture_cam``.
    """
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "posture_cam"
    return Path.home() / ".local" / "share" / "posture_cam"


def default_history_path() -> Path:
    """``data_dir() / "history.sqlite3"``."""
    return data_dir() / HISTORY_FILE


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
        record: the full JSON record (:func:`~posture_cam.report.record.result_record`).
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
    record: dict[str, Any] = field(repr=False, compare=False)
    has_image: bool = False

    def metric(self, name: str) -> Measurement | None:
        """``pelvic_tilt_deg`` or ``lumbar_lordosis_deg`` (the record's names), or None."""
        if name == "pelvic_tilt_deg":
            return self.pelvic_tilt
        if name == "lumbar_lordosis_deg":
            return self.lumbar_lordosis
        raise KeyError(f"no column for metric {name!r}; read it from Check.record['metrics']")

    @property
    def metric_flags(self) -> tuple[str, ...]:
        metrics = self.record.get("metrics") or {}
        return tuple(str(f) for f in metrics.get("flags") or ())

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


def _clean_json(x: Any) -> Any:
    """The record with NaN/inf turned into None and numpy scalars into Python numbers."""
    if isinstance(x, Mapping):
        return {str(k): _clean_json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean_json(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, str | int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if hasattr(x, "item"):  # numpy scalar
        return _clean_json(x.item())
    raise TypeError(f"cannot store a {type(x).__name__} in a history record")


def _measurement(record: Mapping[str, Any], name: str) -> tuple[float | None, float | None]:
    m = (record.get("metrics") or {}).get(name) or {}
    value, pm = m.get("value"), m.get("plus_minus")
    if value is None:
        return None, None
    return float(value), None if pm is None else float(pm)


def _check_record(record: Any) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise TypeError(
            f"record must be a mapping from result_record(), got {type(record).__name__}"
        )
    missing = [k for k in ("measurable", "findings", "assessment") if k not in record]
    if missing:
        raise ValueError(f"record lacks {', '.join(missing)}: pass what result_record() returns")
    pattern = (record["assessment"] or {}).get("pattern")
    if pattern not in _PATTERNS:
        raise ValueError(f"record's assessment pattern must be one of {_PATTERNS}, got {pattern!r}")
    return cast(dict[str, Any], _clean_json(record))


def _optional_text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be text or None, got {type(value).__name__}")
    value = value.strip()
    return value or None


def connect(
    path: str | os.PathLike[str], busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
) -> sqlite3.Connection:
    """Open (creating if needed) a history database file with the store's settings.

    WAL journal, ``synchronous=FULL``, ``secure_delete=ON`` and a busy timeout; autocommit
    mode (``isolation_level=None``), so each statement is its own short transaction unless a
    ``BEGIN`` is issued. Migrations are not applied here (see :func:`apply_migrations`).

    Raises:
        HistoryError: the file is not a SQLite database or cannot be opened.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not p.exists():
            # Private from the start; SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(
            p, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"cannot open the history file {p}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        # Switching a new file to WAL takes a lock that busy_timeout does not always wait
        # for when several processes create the database at once; retry a moment.
        for attempt in range(50):
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                threading.Event().wait(0.05)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA user_version").fetchone()  # fails here on a non-database
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise HistoryError(f"{p} is not a usable history database: {exc}") from exc
    return conn


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Bring the database forward to schema version ``upto``; return the version reached.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the new
    ``user_version``, after re-reading the version under the write lock.

    Raises:
        HistoryError: the database is newer than this code knows (``> SCHEMA_VERSION``).
        ValueError: ``upto`` is outside ``0..SCHEMA_VERSION``.
    """
    if not 0 <= upto <= SCHEMA_VERSION:
        raise ValueError(f"upto must be within 0..{SCHEMA_VERSION}, got {upto}")
    version = _user_version(conn)
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"this history was written by a newer posture_cam (schema {version}; this version "
            f"reads up to {SCHEMA_VERSION}); update posture_cam to open it"
        )
    while version < upto:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _user_version(conn)
            if version < upto:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return version


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
            return _user_version(conn)

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
        record: Mapping[str, Any],
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
            record: what :func:`~posture_cam.report.record.result_record` returned (NaN
                becomes null).
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
        rec = _check_record(record)
        time_text = _utc_text(when if when is not None else datetime.now(UTC))
        note, label = _optional_text(note, "note"), _optional_text(label, "label")
        if image_jpeg is not None:
            if not isinstance(image_jpeg, bytes | bytearray | memoryview):
                raise TypeError(f"image_jpeg must be bytes, got {type(image_jpeg).__name__}")
            image_jpeg = bytes(image_jpeg)
            if not image_jpeg.startswith(_JPEG_MAGIC):
                raise ValueError("image_jpeg must be JPEG bytes (starting with FF D8 FF)")
        tilt, tilt_pm = _measurement(rec, "pelvic_tilt_deg")
        lord, lord_pm = _measurement(rec, "lumbar_lordosis_deg")
        confidence = rec["assessment"].get("confidence")
        codes = ";".join(str(f.get("code", "")) for f in rec.get("findings") or ())
        row = (
            time_text,
            source,
            variant.strip(),
            int(bool(rec["measurable"])),
            rec["assessment"]["pattern"],
            None if confidence is None else float(confidence),
            tilt,
            tilt_pm,
            lord,
            lord_pm,
            codes,
            note,
            label,
            json.dumps(rec, ensure_ascii=False, allow_nan=False),
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
        from posture_cam.report.record import CSV_COLUMNS, csv_row

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
                        "has_image": int(c.has_image),
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
        record=json.loads(record_json),
        has_image=bool(has_image),
    )
