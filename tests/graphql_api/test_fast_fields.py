"""The direct read path (graphql_api/fast_fields.py) answers exactly as Strawberry's resolvers do.

Every document is sent twice through the whole HTTP stack: once as the server runs, once with
Strawberry's own resolvers put back; the answers must be equal, nulls, enums, decimals,
durations, dates and global ids included.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from graphql_api.fast_fields import strawberry_resolvers_only
from graphql_api.schema import schema
from learningplatform.choices import DifficultyLevel, TaskType
from tests.factories import CourseFactory, SubmissionFactory, TaskFactory
from tests.graphql_api.conftest import document, global_id, post

EVERY_FIELD = """query($course: ID!) {
  course(id: $course) { id title description status visibility learningObjectives prerequisites
    duration difficultyLevel createdAt updatedAt taskCount submissionCount
    instructor { id username firstName lastName bio email dateJoined isStaff }
    tasks(first: 100) { totalCount edges { cursor node {
      id title description taskType status difficultyLevel deadline maxScore passingScore
      maxSubmissions timeLimit isRandomized createdAt updatedAt createdBy { id username }
      submissions(first: 100) { edges { node {
        id attempt content submittedAt score isGraded user { id } gradedBy { id } } } } } } } }
  node(id: $course) { id ... on Course { title duration } }
}"""


@pytest.fixture
def varied_course(instructor):
    course = CourseFactory(
        instructor=instructor, duration=timedelta(days=3, hours=4, microseconds=5),
        difficulty_level=None, learning_objectives=None, prerequisites="Algebra",
    )  # fmt: skip
    quiz = TaskFactory(
        course=course, task_type=TaskType.QUIZ, max_score=Decimal("999.99"),
        passing_score=Decimal("0.50"), time_limit=90, max_submissions=3, is_randomized=True,
        deadline=datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        difficulty_level=DifficultyLevel.ADVANCED,
    )  # fmt: skip
    TaskFactory(course=course, max_score=None, passing_score=None, deadline=None)
    SubmissionFactory(task=quiz, score=Decimal("12.50"), graded_by=instructor)
    SubmissionFactory(task=quiz, score=None)
    return course


def both_ways(client, query: str, variables: dict) -> tuple[dict, dict]:
    direct = post(client, query, variables)
    with strawberry_resolvers_only(schema):
        through_strawberry = post(client, query, variables)
    return direct, through_strawberry


@pytest.mark.usefixtures("no_cost_limit")  # a document of every field, lists of lists
@pytest.mark.parametrize("viewer", ["staff", "instructor", None])
def test_every_field_answers_alike(as_user, request, varied_course, viewer):
    client = as_user(request.getfixturevalue(viewer) if viewer else None)
    direct, through_strawberry = both_ways(
        client, EVERY_FIELD, {"course": global_id(varied_course)}
    )
    assert "errors" not in direct
    assert direct == through_strawberry


def test_frontend_documents_answer_alike(as_user, staff, varied_course):
    client = as_user(staff)
    for name, variables in [
        ("course_catalogue", {}),
        ("course_detail", {"id": global_id(varied_course)}),
        ("instructor_dashboard", {"instructor": global_id(varied_course.instructor)}),
    ]:
        direct, through_strawberry = both_ways(client, document(name), variables)
        assert direct == through_strawberry, name


def test_the_direct_path_is_in_place_for_columns_and_ids():
    task_fields = schema._schema.type_map["Task"].direct_fields
    assert {"id", "title", "taskType", "maxScore", "deadline"} <= task_fields.keys()
    assert "course" not in task_fields and "submissions" not in task_fields  # relations
    assert "profilePictureUrl" not in schema._schema.type_map["User"].direct_fields  # a resolver
