"""The history database file: where it lives, how it is opened, and its schema migrations.

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
* **Deleting means gone**: ``PRAGMA secure_delete=ON`` overwrites deleted rows (the store
  checkpoints and truncates the WAL after a delete).

Schema versions live in ``PRAGMA user_version`` and move forward only, one migration at a time
(:data:`MIGRATIONS`), each in its own ``BEGIN IMMEDIATE`` transaction that re-reads the version
first, so two processes opening an old database at once migrate it exactly once. A database
from a newer posture_cam (higher version) is refused rather than guessed at.

Where it lives (:func:`default_history_path`): ``$POSTURE_CAM_DATA_DIR/history.sqlite3``, else
``$XDG_DATA_HOME/posture_cam/history.sqlite3``, else
``~/.local/share/posture_cam/history.sqlite3``. The folder is created (mode 0700) and the
file (mode 0600) when it is opened, never at import time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "ENV_DATA_DIR",
    "HISTORY_FILE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "HistoryError",
    "apply_migrations",
    "connect",
    "data_dir",
    "default_history_path",
    "user_version",
]

ENV_DATA_DIR = "POSTURE_CAM_DATA_DIR"
HISTORY_FILE = "history.sqlite3"
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
    # 3: guided checks (pelvic-tilt range, hip-flexor test, breathing), a table of their
    # own: they share no measure with posture checks. ``series_json`` holds the numbers
    # their history charts follow ({name: [value, plus_minus]}), ``record_json`` all of it.
    (
        """
        CREATE TABLE guided_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_utc TEXT NOT NULL,
            kind TEXT NOT NULL
                CHECK (kind IN ('pelvic_tilt_range', 'hip_flexor_test', 'breathing')),
            variant TEXT,
            name TEXT NOT NULL,
            series_json TEXT NOT NULL,
            record_json TEXT NOT NULL
        )
        """,
        "CREATE INDEX guided_checks_by_kind ON guided_checks (kind, time_utc, id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


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


def user_version(conn: sqlite3.Connection) -> int:
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
    version = user_version(conn)
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"this history was written by a newer posture_cam (schema {version}; this version "
            f"reads up to {SCHEMA_VERSION}); update posture_cam to open it"
        )
    while version < upto:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = user_version(conn)
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
