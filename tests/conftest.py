"""Settings shared by the whole test suite."""

from __future__ import annotations

import os

from hypothesis import settings

# Property tests run engine code whose time depends on the machine's load: no per-example
# deadline. On CI the examples are derived from each test's name (derandomize), so a run is
# reproducible; locally hypothesis explores new examples every run.
settings.register_profile("lab", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("lab"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "lab")
