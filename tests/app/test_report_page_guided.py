"""The Report page with guided checks and the self-check list, driven through AppTest."""

from __future__ import annotations

import json
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from posture_cam.report.session import Session
from posture_cam.ui import state
from tests.app.test_report_pdf_guided import _guided_session

ReportApp = Callable[[Session], AppTest]


def test_guided_checks_are_listed_with_their_numbers_and_downloads(
    report_app: ReportApp,
) -> None:
    at = report_app(_guided_session())
    assert not at.exception
    labels = [b.label for b in at.download_button]
    assert labels == ["PDF report", "JSON data", "CSV table", "CSV of guided checks"]
    tables = " ".join(str(d.value) for d in at.dataframe)
    assert "Whole tilt range" in tables and "Breathing rate" in tables
    assert any("3 results kept" in m.value for m in at.markdown)
    # Removing one guided check leaves the others.
    next(b for b in at.button if b.label == "Remove").click().run()
    assert not at.exception
    kinds = [g.kind for g in at.session_state[state.KEY_SESSION].guided]
    assert kinds == ["hip_flexor_test", "breathing"]


def test_self_check_ticks_are_kept_with_the_session_as_notes(report_app: ReportApp) -> None:
    at = report_app(Session())
    assert not at.exception
    assert len(at.checkbox) == 8 and not any(c.value for c in at.checkbox)
    at.checkbox(key="self_check_pain_hips").check().run()
    at.checkbox(key="self_check_instability").check().run()
    assert not at.exception
    session = at.session_state[state.KEY_SESSION]
    assert session.checklist.ticked == {"pain_hips", "instability"}
    text = " ".join(m.value for m in at.markdown)
    assert (
        "You ticked 1 of the 7 signs the article lists for a tight psoas and 2 of the 5 it "
        "lists for a weak or overstretched one." in text
    )
    assert "not a diagnosis" in text
    # The answers alone can be downloaded (they are notes, kept with the session).
    assert "JSON data" in [b.label for b in at.download_button]
    exported = json.loads(session.to_json())
    assert exported["self_check"]["ticked"] == ["instability", "pain_hips"]
    # Unticking is kept too.
    at.checkbox(key="self_check_pain_hips").uncheck().run()
    assert at.session_state[state.KEY_SESSION].checklist.ticked == {"instability"}
