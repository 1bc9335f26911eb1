"""The Report page, driven through AppTest with a session that already holds a result."""

from __future__ import annotations

import re
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from posture_cam.report.session import Session
from posture_cam.ui import state
from posture_cam.ui.report_page import entry_markdown

ReportApp = Callable[[Session], AppTest]


def test_report_with_a_kept_entry_offers_three_downloads(
    kept_session: Session, report_app: ReportApp
) -> None:
    at = report_app(kept_session)
    assert not at.exception
    labels = [b.label for b in at.download_button]
    assert labels == ["PDF report", "JSON data", "CSV table"]
    assert any("Increased curve" in m.value for m in at.markdown)


def test_remove_button_removes_the_entry(kept_session: Session, report_app: ReportApp) -> None:
    at = report_app(kept_session)
    next(b for b in at.button if b.label == "Remove").click().run()
    assert not at.exception
    assert at.session_state[state.KEY_SESSION].entries == []
    assert len(at.download_button) == 0
    assert "Nothing kept yet" in at.info[0].value


def test_empty_report_explains_how_to_keep_results(report_app: ReportApp) -> None:
    at = report_app(Session())
    assert not at.exception
    assert len(at.download_button) == 0
    assert "Keep in report" in at.info[0].value


def test_each_kept_result_shows_its_pattern_and_both_angles_with_plus_minus(
    kept_session: Session,
) -> None:
    (entry,) = kept_session.entries
    text = entry_markdown(1, entry)
    assert text.startswith(f"**1. {entry.name}** · photo · ")
    assert "Increased curve / anterior pelvic tilt" in text
    assert re.search(r"Pelvic tilt \*\*-?\d+° ± \d+°\*\*", text.replace("−", "-")), text
    assert re.search(r"lower-back curve \*\*-?\d+° ± \d+°\*\*", text.replace("−", "-")), text
