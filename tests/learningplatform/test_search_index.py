"""On PostgreSQL, `search` is answered through the trigram indexes, with today's meaning: a
case-insensitive substring of the title or the description."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from learningplatform.filters import CourseFilter, TaskFilter
from learningplatform.models import Course, Task
from learningplatform.selectors import courses_visible_to, tasks_visible_to
from tests.factories import CourseFactory, TaskFactory

pytestmark = pytest.mark.django_db


class Request:
    user = AnonymousUser()


def searched(filterset, queryset, text: str):
    return filterset({"search": text}, queryset=queryset, request=Request()).qs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("borrow", {"title"}),
        ("BORROW CHECK", {"title"}),
        ("KANNE leckt", {"description"}),
        ("zzz", set()),
    ],
)
def test_search_is_a_case_insensitive_substring_of_title_or_description(text, expected):
    course = CourseFactory()
    by_title = TaskFactory(course=course, title="The borrow checker", description="plain")
    by_description = TaskFactory(course=course, title="Plain", description="Die Kanne leckt")
    TaskFactory(course=course, title="Other", description="other")
    found = set(searched(TaskFilter, tasks_visible_to(AnonymousUser()), text))
    assert found == {
        {"title": by_title, "description": by_description}[where] for where in expected
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
@pytest.mark.parametrize(
    ("filterset", "model", "visible"),
    [(TaskFilter, Task, tasks_visible_to), (CourseFilter, Course, courses_visible_to)],
)
def test_search_can_use_an_index_instead_of_scanning_the_table(filterset, model, visible):
    CourseFactory.create_batch(3)
    table = model._meta.db_table
    # Staff see everything: the search condition alone must be answered by its indexes.
    plan = explain(searched(filterset, model.objects.all(), "needle"))
    assert f"Seq Scan on {table}" not in plan, plan
    assert f"{model._meta.model_name}_title_trgm_idx" in plan, plan
    assert f"{model._meta.model_name}_description_trgm_idx" in plan, plan
    plan = explain(searched(filterset, visible(AnonymousUser()), "needle"))
    assert f"Seq Scan on {table}" not in plan, plan


def explain(queryset) -> str:
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        # With sequential and plain index scans priced out, only bitmap scans of an index that
        # answers the condition remain: without a usable index the plan still scans the table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
