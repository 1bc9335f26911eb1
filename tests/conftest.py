"""Shared pytest configuration for posture_cam's tests.

Keep this small: fixtures used by one test module belong in that module. Hypothesis
profiles are chosen with the HYPOTHESIS_PROFILE environment variable ("dev" by default,
"ci" for more examples and no per-example deadline on slow shared runners).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("dev", max_examples=100)
settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _keep_the_real_main_module() -> Iterator[None]:
    """Undo Streamlit's AppTest swapping ``sys.modules["__main__"]`` for the app script.

    Streamlit's script runner installs each script as ``__main__`` and leaves it there. A
    later test that starts a "spawn" process (tests/integration/test_history.py) then makes
    the child re-run that script, which fails (``NameError: __args``).
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
