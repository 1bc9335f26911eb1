"""Shared pytest configuration for posture_cam's tests.

Keep this small: fixtures used by one test module belong in that module. Hypothesis
profiles are chosen with the HYPOTHESIS_PROFILE environment variable ("dev" by default,
"ci" for more examples); neither judges the time an example takes.

Test data: what the tests need is in ``tests/data`` (see its README). Two larger sets are
not committed and the tests that need them skip, saying so, when they are missing: the
owner's 300 synthetic renders (``../shared/data/synth/dev`` beside the checkout, or the
folder named by ``$POSTURE_CAM_SYNTH_DEV``) and a 4 MB walking video
(``../shared/data/real/side_walking.mp4``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
OWNER_DATA = REPO.parent / "shared" / "data"
ENV_SYNTH_DEV = "POSTURE_CAM_SYNTH_DEV"

# No per-example deadline and no "too slow" health check: both fail a test on wall-clock
# time, which on a busy shared machine says nothing about the code.
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
# Hypothesis keeps its files (example database, constants cache) in the temporary folder,
# not in the checkout (.hypothesis/): no test writes into the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "posture_cam-hypothesis")
settings.register_profile("dev", max_examples=100, **_UNTIMED)
settings.register_profile("ci", max_examples=300, **_UNTIMED)
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


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data``: real photos with open licences, a few synthetic renders (README)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def synth_dev() -> Path:
    """The owner's 300 synthetic side views with their truth; the test skips without them."""
    folder = Path(os.environ.get(ENV_SYNTH_DEV) or OWNER_DATA / "synth" / "dev")
    if not folder.is_dir():
        pytest.skip(
            f"the 300 synthetic renders are not at {folder}: put the owner's data in "
            f"../shared/data beside the checkout, or set {ENV_SYNTH_DEV} to their folder"
        )
    return folder


@pytest.fixture(scope="session")
def side_walking_video() -> Path:
    """The Sports2D walking video (4 MB, not committed); the test skips without it."""
    path = OWNER_DATA / "real" / "side_walking.mp4"
    if not path.is_file():
        pytest.skip(
            f"{path.name} (4 MB, BSD-3-Clause, from the PyPI package sports2d) is not "
            f"committed: put the owner's data in ../shared/data beside the checkout to run this"
        )
    return path
