"""The bad-input corpus uploaded on the Photo page: each file gets its own, specific message.

All files go up in one upload (the page takes several at once and gives each its own box),
so one AppTest run covers the corpus; the checks then read each file's box. Files whose
extension the uploader does not offer (.txt, .pdf) are uploaded under an image name,
which is how such bytes reach the page: the browser's file picker filters by extension.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.ui import state
from posture_cam.ui.photo_page import UPLOAD_TYPES
from tests.bad_input_corpus import CASES, CORPUS_DIR, MEASURED, Case, build_corpus

TEXT_KINDS = ("markdown", "warning", "error", "info", "caption", "metric", "button")


def upload_name(case: Case) -> str:
    return case.app_name or case.file


def _texts(node: object) -> Iterator[str]:
    kind = getattr(node, "type", None)
    if kind in TEXT_KINDS:
        if kind == "metric":
            yield f"{node.label} {node.value}"  # type: ignore[attr-defined]
        elif kind == "button":
            yield str(node.label)  # type: ignore[attr-defined]
        else:
            yield str(node.value)  # type: ignore[attr-defined]
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _texts(child)


def boxes_by_file(at: AppTest) -> dict[str, str]:
    """Each photo's box on the page (a bordered container headed "#### name") as text."""
    boxes: dict[str, str] = {}
    for block in at.main.children.values():
        texts = list(_texts(block))
        heads = [t for t in texts if t.startswith("#### ")]
        if block.type == "flex_container" and heads:
            boxes[heads[0][5:]] = "\n".join(texts)
    return boxes


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.getbasetemp() / CORPUS_DIR)


@pytest.fixture(scope="module")
def page(corpus: Path, lite_model_path: Path, app_path: Path, test_variant: str) -> AppTest:
    at = AppTest.from_file(str(app_path), default_timeout=180)
    at.session_state[state.KEY_VARIANT] = test_variant
    at.run()
    files = []
    for c in CASES:
        name = upload_name(c)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append((name, (corpus / c.file).read_bytes(), mime))
    at.file_uploader[0].set_value(files).run()
    return at


def test_every_upload_name_is_one_the_uploader_accepts() -> None:
    for c in CASES:
        assert Path(upload_name(c)).suffix.lstrip(".").lower() in UPLOAD_TYPES, c.case
    # The renamed ones really are refused under their own name by the page's uploader.
    renamed = {Path(c.file).suffix.lstrip(".") for c in CASES if c.app_name}
    assert renamed == {"txt", "pdf"}
    assert not renamed & set(UPLOAD_TYPES)


def test_whole_corpus_upload_raises_nothing(page: AppTest) -> None:
    assert not page.exception
    assert not [e.value for e in page.error if "Something went wrong" in e.value]
    boxes = boxes_by_file(page)
    assert set(boxes) == {upload_name(c) for c in CASES}
    assert all("Traceback" not in text for text in boxes.values())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.case)
def test_case_shows_its_specific_message(case: Case, page: AppTest) -> None:
    box = boxes_by_file(page)[upload_name(case)]
    assert case.phrase in box, box[:1500]
    if case.outcome == MEASURED:
        assert "Keep in report" in box
        assert "±" in box
        assert "We couldn't measure this picture" not in box
    else:
        assert "Keep in report" not in box
    if case.exit_code == 4:  # read errors name the file, as uploaded
        assert f"“{upload_name(case)}”" in box
    elif case.outcome != MEASURED:
        assert "We couldn't measure this picture" in box
