"""Helpers shared by the unit tests: fuzzing outside inputs, snapshots for check mode."""
