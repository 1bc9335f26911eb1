"""The History page through Streamlit's AppTest, on a history with fixed days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.history.store import ENV_DATA_DIR, HISTORY_FILE, HistoryStore
from posture_cam.report.session import SessionEntry
from tests.records import make_record

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _page() -> None:
    from posture_cam.ui.history_page import render_history_page

    render_history_page()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    return tmp_path


def _text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "info", "caption", "title", "subheader", "error"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    return "\n".join(parts)


def test_empty_history_says_how_to_save(data_dir: Path) -> None:
    at = AppTest.from_function(_page).run()
    assert not at.exception
    assert "No checks saved yet" in _text(at)
    assert str(data_dir / HISTORY_FILE) in _text(at)


def test_history_shows_baseline_verdicts_charts_and_deletes(data_dir: Path) -> None:
    with HistoryStore(data_dir / HISTORY_FILE) as store:
        for k, (t, lo) in enumerate([(9.0, 31.0), (10.0, 30.0), (11.0, 29.0)]):
            store.add(
                make_record(t, lo), source="photo", variant="full", when=T0 + timedelta(days=k)
            )
        store.add(
            make_record(blocked="not_side_view"),
            source="photo",
            variant="full",
            when=T0 + timedelta(days=4),
        )
        last = store.add(
            make_record(20.0, 30.5), source="live", variant="full", when=T0 + timedelta(days=9)
        )
    at = AppTest.from_function(_page).run()
    assert not at.exception
    text = _text(at)
    assert "Baseline pelvic tilt 10.0°" in text
    assert "median of the first 3 good checks" in text
    assert f"Latest check (#{last}) against your baseline" in text
    assert "real change" in text and "more anterior tilt" in text
    assert "within noise" in text
    assert len(at.get("vega_lite_chart")) == 3  # tilt, curve, pattern
    [table] = at.dataframe
    assert len(table.value) == 5
    assert len(at.get("download_button")) == 1

    at.selectbox(key="history_delete_id").set_value(last).run()
    at.button(key="history_delete_one").click().run()
    assert not at.exception
    with HistoryStore(data_dir / HISTORY_FILE) as store:
        assert last not in {c.id for c in store.list()}
    assert at.button(key="history_delete_all").disabled
    at.checkbox(key="history_confirm_all").check().run()
    at.button(key="history_delete_all").click().run()
    assert not at.exception
    with HistoryStore(data_dir / HISTORY_FILE) as store:
        assert len(store) == 0


def test_baseline_from_a_date_range(data_dir: Path) -> None:
    with HistoryStore(data_dir / HISTORY_FILE) as store:
        store.add(make_record(10.0, 30.0), source="photo", variant="full", when=T0)
    at = AppTest.from_function(_page).run()
    assert "No baseline yet: 2 more good checks needed" in _text(at)
    at.radio(key="history_baseline_mode").set_value("A date range").run()
    assert not at.exception
    assert "median of 1 good check in the chosen range" in _text(at)


def _save_page(good, bad):  # noqa: ANN001, ANN202 - AppTest runs its source alone
    from posture_cam.ui.history_page import render_save_to_history

    render_save_to_history(good, key="save_a")
    render_save_to_history(bad, key="save_b")


def test_save_to_history_control(data_dir: Path) -> None:
    records = (
        SessionEntry(
            make_record(12.0, 30.0, model_variant="lite"),
            source="photo",
            overlay_jpeg=b"\xff\xd8\xff\xe0 jpeg",
        ),
        SessionEntry(make_record(blocked="no_person", model_variant="lite"), source="photo"),
    )
    at = AppTest.from_function(_save_page, args=records).run()
    assert not at.exception
    assert [b.key for b in at.button] == ["save_a_save"]  # nothing offered when unmeasurable
    at.text_input(key="save_a_label").input("morning")
    at.button(key="save_a_save").click().run()
    assert not at.exception
    with HistoryStore(data_dir / HISTORY_FILE) as store:
        [c] = store.list()
        assert (c.label, c.variant, c.has_image) == ("morning", "lite", False)
    assert at.button(key="save_a_done").disabled
    assert at.button(key="save_a_done").label == f"Saved to history (#{c.id})"
