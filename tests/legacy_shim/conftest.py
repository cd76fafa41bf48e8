"""Fixtures for the legacy shim's tests."""

import pytest

from legacy_shim.usage import usage_counts


@pytest.fixture(autouse=True)
def no_counts_from_other_tests():
    """Start from no pending legacy-name counts: earlier tests in this process may have left some."""
    usage_counts.pending.clear()
    usage_counts.database = None
