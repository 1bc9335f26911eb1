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

from .checklist import Checklist
from .guided_record import GuidedCheck
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
    """The kept results of one browser session, oldest first.

    ``entries`` are posture checks (photo or live), ``guided`` the guided checks, and
    ``checklist`` the article's self-check list as the person last ticked it (None until
    they answer it); the list is notes beside the results, never a result itself.
    """

    entries: list[SessionEntry] = field(default_factory=list)
    guided: list[GuidedCheck] = field(default_factory=list)
    checklist: Checklist | None = None

    @property
    def empty(self) -> bool:
        """Nothing kept: no posture or guided check and no ticked sign."""
        return not (self.entries or self.guided or (self.checklist and self.checklist.ticked))

    def add(self, entry: SessionEntry) -> None:
        self.entries.append(entry)

    def add_guided(self, check: GuidedCheck) -> None:
        self.guided.append(check)

    def remove(self, entry_id: str) -> None:
        self.entries = [e for e in self.entries if e.entry_id != entry_id]
        self.guided = [g for g in self.guided if g.entry_id != entry_id]

    def clear(self) -> None:
        """Remove every kept check (the self-check answers stay: they are not results)."""
        self.entries.clear()
        self.guided.clear()

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
        payload: dict[str, object] = {"results": data}
        if self.guided:
            payload["guided_checks"] = [g.to_dict() for g in self.guided]
        if self.checklist is not None:
            payload["self_check"] = self.checklist.to_record()
        return json.dumps(payload, indent=2, ensure_ascii=False)

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

    def guided_to_csv(self) -> str:
        """The guided checks' headline numbers, one row per number (a spreadsheet's shape:
        the checks measure different things, so they share no columns)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["time", "check", "name", "model_variant", "measure", "value"])
        for g in self.guided:
            for label, value in g.rows:
                writer.writerow(
                    [g.created.isoformat(), g.title, g.name, g.variant or "", label, value]
                )
        return buf.getvalue()
