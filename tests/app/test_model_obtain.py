"""The pages obtain a missing pose model by themselves (`components.obtain_model`).

The model store is replaced by a stand-in whose cache is empty, so the tests run offline;
the real path from an empty cache, in the browser, is tests/e2e/test_model_first_use.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.pose.models import ModelFile, ModelUnavailableError
from posture_cam.ui import components


class FakeStore:
    """An empty cache; a fetch that says what it does, then works or fails."""

    def __init__(self, fetch_works: bool) -> None:
        self.fetch_works = fetch_works
        self.cached = False
        self.fetches = 0

    def resolve_model(
        self,
        variant: str,
        *,
        allow_network: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> ModelFile:
        if self.cached:
            return ModelFile(variant, Path("/nowhere.task"), 1, "0" * 64, "cache", True)
        if not allow_network:
            raise ModelUnavailableError("not in the cache")
        self.fetches += 1
        if progress is not None:
            progress("Downloading the bundle")
        if not self.fetch_works:
            raise ModelUnavailableError("No pose model (lite) is available. Tried: everything")
        self.cached = True
        return self.resolve_model(variant)


def _page() -> None:
    import streamlit as st

    from posture_cam.ui.components import obtain_model

    st.markdown("ready" if obtain_model("lite") else "not ready")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, request: Any) -> FakeStore:
    fake = FakeStore(fetch_works=request.param)
    monkeypatch.setattr(components, "resolve_model", fake.resolve_model)
    return fake


def _markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("store", [True], indirect=True)
def test_a_missing_model_is_obtained_with_a_progress_box_and_no_error(store: FakeStore) -> None:
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert _markdown(at) == ["ready"]
    assert not at.error
    [box] = at.status
    assert box.state == "complete"
    assert box.label == "The lite pose model is ready"
    assert [c.value for c in at.caption] == ["Downloading the bundle"]
    # Next run: straight from the cache; the green line stays (a page that reruns every
    # second would wipe it before anyone saw it), closed, with no progress in it.
    at.run()
    assert _markdown(at) == ["ready"] and store.fetches == 1
    [box] = at.status
    assert (box.state, box.label) == ("complete", "The lite pose model is ready")
    assert not at.caption
    # A session that found the model in the cache shows nothing.
    fresh = AppTest.from_function(_page, default_timeout=30).run()
    assert _markdown(fresh) == ["ready"] and not fresh.status and store.fetches == 1


@pytest.mark.parametrize("store", [False], indirect=True)
def test_when_every_source_fails_the_page_says_what_was_tried_once(store: FakeStore) -> None:
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert _markdown(at) == ["not ready"]
    [box] = at.status
    assert box.state == "error"
    assert "could not be obtained" in at.error[0].value
    assert "Tried: everything" in at.expander[-1].text[0].value
    # A rerun (any click on the page) does not try again by itself ...
    at.run()
    assert store.fetches == 1 and "could not be obtained" in at.error[0].value
    # ... "Try again" does, and a source that works now is used.
    store.fetch_works = True
    at.button(key="model_retry_lite").click().run()
    assert store.fetches == 2
    assert _markdown(at) == ["ready"] and not at.error
