"""The check history on a real disk: round trips, migrations, concurrency, durability.

Its command line: test_history_cli.py.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import os
import signal
import sqlite3
import stat
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from posture_cam.history.store import (
    ENV_DATA_DIR,
    HISTORY_FILE,
    MIGRATIONS,
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    apply_migrations,
    connect,
    data_dir,
    default_history_path,
)
from posture_cam.report.record import MeasureRecord, ResultRecord
from posture_cam.types import Measurement
from tests.records import make_record

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"fake jpeg payload" + b"\xff\xd9"


# -- where it lives ------------------------------------------------------------------------


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "mine"
    monkeypatch.delenv(ENV_DATA_DIR)
    assert data_dir() == tmp_path / "xdg" / "posture_cam"
    assert default_history_path() == tmp_path / "xdg" / "posture_cam" / HISTORY_FILE
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "posture_cam"


def test_default_store_uses_the_data_dir_and_is_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "d"))
    with HistoryStore() as store:
        assert store.path == tmp_path / "d" / HISTORY_FILE
        assert store.journal_mode == "wal"
        assert store.schema_version == SCHEMA_VERSION
    assert stat.S_IMODE(os.stat(tmp_path / "d" / HISTORY_FILE).st_mode) == 0o600


# -- round trips ---------------------------------------------------------------------------


def test_round_trip_keeps_every_field(db: Path) -> None:
    rec = make_record(12.5, 31.25, warn="camera_tilted", model_variant="lite")
    with HistoryStore(db) as store:
        cid = store.add(
            rec, source="photo", variant="full", when=T0, note="  after run ", label="morning"
        )
        c = store.get(cid)
    assert c is not None
    assert c.id == cid
    assert c.time == T0 and c.time.tzinfo is UTC
    assert (c.source, c.variant, c.measurable) == ("photo", "full", True)
    assert c.pattern == rec.assessment.pattern
    assert c.confidence == rec.assessment.confidence
    assert c.pelvic_tilt == Measurement(12.5, 3.6)
    assert c.lumbar_lordosis == Measurement(31.25, 4.3)
    assert c.gate_codes == ("camera_tilted",)
    assert (c.note, c.label) == ("after run", "morning")
    assert c.record == rec
    assert c.good and not c.has_image


def test_time_zones_are_stored_as_utc(db: Path) -> None:
    plus2 = timezone(timedelta(hours=2))
    with HistoryStore(db) as store:
        cid = store.add(
            make_record(),
            source="live",
            variant="lite",
            when=datetime(2025, 3, 1, 14, 0, tzinfo=plus2),
        )
        c = store.get(cid)
    assert c is not None and c.time == T0 and c.source == "live"


def test_list_orders_by_time_and_filters(db: Path) -> None:
    with HistoryStore(db) as store:
        late = store.add(
            make_record(), source="photo", variant="full", when=T0 + timedelta(days=2), label="a"
        )
        early = store.add(make_record(), source="live", variant="full", when=T0, label="b")
        mid = store.add(
            make_record(), source="photo", variant="full", when=T0 + timedelta(days=1), label="a"
        )
        assert [c.id for c in store.list()] == [early, mid, late]
        assert [c.id for c in store.list(since=T0 + timedelta(days=1))] == [mid, late]
        assert [c.id for c in store.list(until=T0 + timedelta(days=1))] == [early]
        assert [c.id for c in store.list(label="a")] == [mid, late]
        assert [c.id for c in store.list(source="live")] == [early]
        assert len(store) == 3


def test_not_measurable_and_flagged_checks_are_kept_but_not_good(db: Path) -> None:
    with HistoryStore(db) as store:
        a = store.get(
            store.add(make_record(blocked="not_side_view"), source="photo", variant="full")
        )
        b = store.get(
            store.add(make_record(flags=("outline_short",)), source="photo", variant="full")
        )
    assert a is not None and b is not None
    assert not a.measurable and a.pelvic_tilt is None and a.pattern == "inconclusive"
    assert a.gate_codes == ("not_side_view",)
    assert b.measurable and not b.good and b.metric_flags == ("outline_short",)


def test_no_image_unless_opted_in(db: Path) -> None:
    with HistoryStore(db) as store:
        plain = store.add(make_record(), source="photo", variant="full")
        kept = store.add(make_record(), source="photo", variant="full", image_jpeg=JPEG)
        assert store.get_image(plain) is None and store.get_image(kept) == JPEG
        assert [c.has_image for c in store.list()] == [False, True]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM checks WHERE image_jpeg IS NULL").fetchone() == (1,)
    conn.close()


def test_nan_and_numpy_numbers_are_stored_as_json(db: Path) -> None:
    import numpy as np

    rec = make_record(live_fps=float("nan"), live_frames=np.int64(40))
    with HistoryStore(db) as store:
        c = store.get(store.add(rec, source="live", variant="lite"))
    assert c is not None
    assert c.record.live_fps is None and c.record.live_frames == 40


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"source": "video"}, ValueError),
        ({"variant": ""}, ValueError),
        ({"when": datetime(2025, 1, 1)}, ValueError),  # naive
        ({"when": "2025-01-01"}, TypeError),
        ({"image_jpeg": b"\x89PNG...."}, ValueError),
        ({"image_jpeg": "not bytes"}, TypeError),
        ({"note": 5}, TypeError),
        ({"record": {"measurable": True}}, TypeError),  # a dict, not a ResultRecord
        ({"record": [1, 2]}, TypeError),
    ],
)
def test_bad_arguments_raise(db: Path, kwargs: dict[str, Any], error: type) -> None:
    args: dict[str, Any] = {"record": make_record(), "source": "photo", "variant": "full"}
    args.update(kwargs)
    with HistoryStore(db) as store, pytest.raises(error):
        store.add(args.pop("record"), **args)


def test_export_csv(db: Path) -> None:
    with HistoryStore(db) as store:
        store.add(
            make_record(11.0, 29.0), source="photo", variant="full", when=T0, label="x", note="n"
        )
        store.add(
            make_record(blocked="no_person"),
            source="live",
            variant="lite",
            when=T0 + timedelta(hours=1),
        )
        buf = io.StringIO(newline="")
        assert store.export_csv(buf) == 2
        path_out = db.parent / "out.csv"
        assert store.export_csv(path_out) == 2
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows == list(csv.DictReader(path_out.open(newline="", encoding="utf-8")))
    assert rows[0]["time_utc"] == T0.isoformat()
    assert (rows[0]["source"], rows[0]["variant"], rows[0]["label"], rows[0]["note"]) == (
        "photo",
        "full",
        "x",
        "n",
    )
    assert float(rows[0]["pelvic_tilt_deg"]) == 11.0
    assert float(rows[0]["pelvic_tilt_deg_plus_minus"]) == 3.6
    assert rows[1]["pelvic_tilt_deg"] == "" and rows[1]["finding_codes"] == "no_person"
    assert rows[1]["has_image"] == "no"


def test_delete_one_and_all_and_leave_no_trace(db: Path) -> None:
    secret = "SECRET-NOTE-4711"
    with HistoryStore(db) as store:
        keep = store.add(make_record(), source="photo", variant="full")
        gone = store.add(
            make_record(), source="photo", variant="full", note=secret, image_jpeg=JPEG
        )
        assert store.delete(gone) is True
        assert store.delete(gone) is False
        assert [c.id for c in store.list()] == [keep]
    data = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    assert secret.encode() not in data and b"fake jpeg payload" not in data
    with HistoryStore(db) as store:
        assert store.delete_all() == 1
        assert store.list() == [] and len(store) == 0


def test_closed_store_refuses(db: Path) -> None:
    store = HistoryStore(db)
    store.close()
    store.close()
    assert store.closed
    with pytest.raises(HistoryError, match="closed"):
        store.list()


# -- schema versions -----------------------------------------------------------------------


def test_migrates_from_the_first_schema_and_reads_its_records(db: Path) -> None:
    # A check saved by the first release: schema 1, and a record from before the record's
    # JSON had a version (tests/data/records_v1.json).
    conn = connect(db)
    assert apply_migrations(conn, upto=1) == 1
    v1 = json.loads((Path(__file__).parents[1] / "data" / "records_v1.json").read_text())["live"]
    conn.execute(
        "INSERT INTO checks (time_utc, source, variant, measurable, pattern, confidence, "
        "pelvic_tilt_deg, pelvic_tilt_pm_deg, lumbar_lordosis_deg, lumbar_lordosis_pm_deg, "
        "gate_codes, note, record_json) VALUES (?, 'photo', 'full', 1, ?, 0.5, 9.0, 3.6, "
        "27.0, 4.3, '', 'old note', ?)",
        (T0.isoformat(timespec="microseconds"), v1["assessment"]["pattern"], json.dumps(v1)),
    )
    cols = [r[1] for r in conn.execute("PRAGMA table_info(checks)")]
    assert "label" not in cols
    conn.close()

    with HistoryStore(db) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) == 2
        [old] = store.list()
        assert (old.time, old.note, old.label) == (T0, "old note", None)
        assert old.pelvic_tilt == Measurement(9.0, 3.6)
        assert old.record == ResultRecord.from_dict(v1)
        assert old.record.pelvic_tilt == MeasureRecord(12.5, 3.6) and old.record.live_frames == 15
        new = store.add(
            make_record(),
            source="live",
            variant="lite",
            label="evening",
            when=T0 + timedelta(days=1),
        )
        assert store.get(new).label == "evening"  # type: ignore[union-attr]
    conn = sqlite3.connect(db)
    assert "label" in [r[1] for r in conn.execute("PRAGMA table_info(checks)")]
    assert (
        conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'checks_by_time'"
        ).fetchone()
        is not None
    )
    conn.close()


def test_refuses_a_newer_schema(db: Path) -> None:
    HistoryStore(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer posture_cam"):
        HistoryStore(db)


def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "history.sqlite3"
    bad.write_bytes(b"this is not a database at all, just text" * 50)
    with pytest.raises(HistoryError, match="not a usable history database"):
        HistoryStore(bad)


# -- two processes at once -----------------------------------------------------------------


def _writer(path: str, tag: str, n: int, start: Any) -> None:
    start.wait()
    with HistoryStore(path) as store:
        for k in range(n):
            store.add(
                make_record(float(k), 20.0 + k % 7),
                source="photo",
                variant="full",
                note=f"{tag}-{k}",
            )


def test_two_processes_write_at_once(db: Path) -> None:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(db), tag, 200, start)) for tag in "ab"]
    for p in procs:
        p.start()
    start.set()  # both create and migrate the new database at the same moment, then write
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    with HistoryStore(db) as store:
        checks = store.list()
        assert store.schema_version == SCHEMA_VERSION
    notes = sorted(c.note or "" for c in checks)
    assert notes == sorted(f"{t}-{k}" for t in "ab" for k in range(200))
    assert len({c.id for c in checks}) == 400
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


# -- durability ----------------------------------------------------------------------------


def _committer(path: str, conn: Any) -> None:
    """Write checks forever, reporting each committed id before starting the next write."""
    with HistoryStore(path) as store:
        k = 0
        while True:
            cid = store.add(
                make_record(float(k % 30), 25.0),
                source="live",
                variant="lite",
                note=f"n{k}",
                image_jpeg=JPEG + os.urandom(2048),
            )
            conn.send(cid)
            k += 1


@pytest.mark.parametrize(("min_reported", "delay_s"), [(1, 0.0), (25, 0.004), (60, 0.011)])
def test_sigkill_mid_write_loses_nothing_committed(
    db: Path, min_reported: int, delay_s: float
) -> None:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_committer, args=(str(db), child))
    proc.start()
    child.close()
    reported: list[int] = []
    deadline = time.monotonic() + 120
    while len(reported) < min_reported and time.monotonic() < deadline:
        if parent.poll(1.0):
            reported.append(parent.recv())
    assert len(reported) >= min_reported, "the writer did not start"
    time.sleep(delay_s)  # land somewhere inside a later write
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL
    while True:  # ids sent before the kill are still in the pipe
        try:
            if not parent.poll(0.2):
                break
            reported.append(parent.recv())
        except (EOFError, OSError):
            break

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    with HistoryStore(db) as store:
        ids = {c.id for c in store.list()}
        assert set(reported) <= ids
        assert len(ids) <= len(reported) + 1  # at most the one committed but not yet reported
        store.add(make_record(), source="photo", variant="full")  # still writable
