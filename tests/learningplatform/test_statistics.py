"""Bulk writes leave the planner fresh statistics: the first request after them is planned on
the real row counts (PostgreSQL; on SQLite the same ANALYZE runs and is harmless)."""

import pytest
from django.db import connection

from learningplatform import consolidation
from learningplatform.consolidation import rehearsal
from learningplatform.seeding import SeedSize, seed_data_set

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL"),
]

CONSOLIDATED = (
    "learningplatform_user",
    "learningplatform_course",
    "learningplatform_task",
    "learningplatform_submission",
)


def stale_tables(tables) -> dict[str, tuple[float, int]]:
    """Tables whose planner row estimate is not their row count: (estimate, count)."""
    stale = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            (estimate,) = cursor.fetchone()
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - constant names
            (count,) = cursor.fetchone()
            if estimate != count:
                stale[table] = (estimate, count)
    return stale


def forget_statistics(tables) -> None:
    """What a freshly loaded table looks like to the planner: never analysed."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname = ANY(%s)", [list(tables)])


def test_seed_analyses_what_it_filled():
    forget_statistics(CONSOLIDATED)
    seed_data_set(size=SeedSize(instructors=2, students=5, courses=4, tasks_per_course=3), seed=1)
    assert stale_tables(CONSOLIDATED) == {}


def test_seed_legacy_and_consolidate_analyse_what_they_filled():
    rehearsal.create_tables()
    try:
        forget_statistics(CONSOLIDATED)
        rehearsal.seed_legacy_data(size=rehearsal.RehearsalSize(courses=6), seed=2)
        legacy = consolidation.LEGACY_TABLES
        assert stale_tables((*legacy, *CONSOLIDATED)) == {}
        forget_statistics(CONSOLIDATED)
        consolidation.consolidate()
        assert stale_tables((*CONSOLIDATED[1:], "learningplatform_legacyidmap")) == {}
    finally:
        consolidation.drop_legacy_tables()


def test_outside_a_transaction_the_tables_are_vacuumed_too():
    """A vacuumed table has its visibility map set, so counts can read the index alone."""
    from learningplatform.statistics import refresh_statistics

    seed_data_set(size=SeedSize(instructors=1, students=2, courses=2, tasks_per_course=3), seed=4)
    refresh_statistics(["learningplatform_task"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible, relpages FROM pg_class WHERE relname = 'learningplatform_task'"
        )
        all_visible, pages = cursor.fetchone()
    assert pages > 0 and all_visible == pages
