"""Fixtures of the domain's tests."""

import pytest

from learningplatform import consolidation
from learningplatform.consolidation import rehearsal

LEGACY_SIZE = rehearsal.RehearsalSize(courses=12, tasks_per_course=3, students=6)


@pytest.fixture
def legacy():
    """A rehearsal database: the legacy tables full of rows, every hard case included; the
    tables are dropped again afterwards."""
    rehearsal.create_tables()
    try:
        yield rehearsal.seed_legacy_data(size=LEGACY_SIZE, seed=3)
    finally:
        consolidation.drop_legacy_tables()
