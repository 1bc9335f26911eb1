"""What one browser session keeps: results the user chose to keep, in memory only.

Pure data (no Streamlit): the app holds a :class:`Session` in ``st.session_state``; the
report is built from it. Nothing here touches the disk.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from posture_cam.types import Pattern

from .record import CSV_COLUMNS, ResultRecord, csv_row

__all__ = ["SessionEntry", "Session"]

Source = Literal["photo", "live"]


@dataclass(frozen=True, eq=False)
class SessionEntry:
    """One kept result.

    Attributes:
        record: the result (:class:`~posture_cam.report.record.ResultRecord`).
        source: "photo" (an uploaded photo or a camera snapshot) or "live".
        overlay_jpeg: the annotated picture (JPEG bytes), kept in memory for the report.
    """

    record: ResultRecord
    source: Source
    overlay_jpeg: bytes | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def name(self) -> str:
        return self.record.file

    @property
    def pattern(self) -> Pattern:
        return self.record.pattern


@dataclass
class Session:
    """The kept results of one browser session, oldest first."""

    entries: list[SessionEntry] = field(default_factory=list)

    def add(self, entry: SessionEntry) -> None:
        self.entries.append(entry)

    def remove(self, entry_id: str) -> None:
        self.entries = [e for e in self.entries if e.entry_id != entry_id]

    def clear(self) -> None:
        self.entries.clear()

    def to_json(self) -> str:
        data = [
            {
                "id": e.entry_id,
                "time": e.created.isoformat(),
                "source": e.source,
                **e.record.to_dict(),
            }
            for e in self.entries
        ]
        return json.dumps({"results": data}, indent=2, ensure_ascii=False)

    def to_csv(self) -> str:
        buf = io.StringIO()
        cols = ["time", "source", *CSV_COLUMNS]
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for e in self.entries:
            writer.writerow(
                {"time": e.created.isoformat(), "source": e.source, **csv_row(e.record)}
            )
        return buf.getvalue()
