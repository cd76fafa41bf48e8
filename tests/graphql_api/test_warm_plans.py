"""Kept plans made before serving (graphql_api/warm_plans.py): a fresh worker's first request
of a shipped query, by any viewer, runs a kept plan, and answers as the executor does."""

import pytest
from django.test import override_settings

from config.schema import schema
from graphql_api.readpath.cache import clear_plans
from graphql_api.readpath.index import index_of
from graphql_api.trusted_documents import document_id
from graphql_api.warm_plans import warm_plans
from learningplatform.choices import CourseStatus
from tests.factories import CourseFactory, InstructorFactory, StaffFactory, TaskFactory, UserFactory
from tests.helpers import document, global_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_cost_limit")]


def test_a_fresh_workers_first_requests_of_shipped_queries_run_kept_plans(as_user):
    instructor = InstructorFactory()
    course = CourseFactory(instructor=instructor, status=CourseStatus.PUBLISHED)
    TaskFactory.create_batch(3, course=course)
    viewers = [None, UserFactory(), instructor, StaffFactory()]
    sends = [
        ("course_detail", {"id": global_id(course)}),
        ("course_catalogue", {}),
        ("instructor_dashboard", {"instructor": global_id(instructor)}),
    ]
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = [
            [post(as_user(viewer), name, variables) for name, variables in sends]
            for viewer in viewers
        ]
    clear_plans()  # a fresh worker
    assert warm_plans(schema) >= len(sends) * 3
    cache = index_of(schema._schema).plans
    misses = cache.misses
    got = [
        [post(as_user(viewer), name, variables) for name, variables in sends] for viewer in viewers
    ]
    assert got == expected
    assert cache.misses == misses  # every first request ran a plan made before it came
    assert all(plan.fallback is None for plan in cache.kept())


def test_warming_with_no_database_leaves_the_plans_to_the_first_requests(monkeypatch, caplog):
    def refuse(*_args, **_kwargs):
        raise ConnectionError("the database is not answering")

    monkeypatch.setattr("graphql_api.warm_plans.run", refuse)
    clear_plans()
    assert warm_plans(schema) == 0
    assert "the first requests make them" in caplog.text


def post(client, name: str, variables: dict) -> dict:
    body = {"documentId": document_id(document(name)), "variables": variables}
    response = client.post("/graphql/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()
