"""Fixtures shared by the unit tests of the model store (test_models.py, test_bundle.py)."""

from __future__ import annotations

import pytest

from tests.unit.model_bundles import tiny_bundle_bytes


@pytest.fixture(scope="module")
def tiny_bundle() -> bytes:
    return tiny_bundle_bytes()
