"""Where the unit tests' data lives."""

import os

UNIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(UNIT))
# Captured and published outputs (each with its source), shared by module_utils and module tests.
FIXTURES = os.path.join(UNIT, "fixtures")
