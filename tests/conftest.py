"""Shared pytest configuration for posture_cam's tests.

Keep this small: fixtures used by one test module belong in that module. Hypothesis
profiles are chosen with the HYPOTHESIS_PROFILE environment variable ("dev" by default,
"ci" for more examples and no per-example deadline on slow shared runners).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("dev", max_examples=100)
settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
