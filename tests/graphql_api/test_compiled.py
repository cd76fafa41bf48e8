"""Plain reads (graphql_api/compiled.py) answer exactly as GraphQL's executor does.

Every document is sent twice through the whole HTTP stack, once as the server runs and once with
the executor only, as each kind of viewer (visibility differs), over data with drafts, private
courses, nulls, long pages and every scalar kind. The answers must be equal, and the documents
meant to take the plain path must have taken it (a spy records what it answered).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from graphql import REMOVE, StringValueNode, Visitor, parse, print_ast, visit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from strawberry.relay import to_base64

from graphql_api import compiled
from graphql_api.schema import schema
from graphql_api.sdl import SCHEMA_FILE
from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility
from tests.factories import CourseFactory, InstructorFactory, StaffFactory, TaskFactory, UserFactory
from tests.graphql_api.conftest import document, global_id, post
from tests.graphql_api.test_fuzz import FUZZ, SCALARS

# The documents compare both read paths on large pages; test_cost.py tests the cost limit.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_cost_limit")]

ROLES = ["anonymous", "student", "instructor", "staff"]


@pytest.fixture
def world(db):
    teacher, other = InstructorFactory(), InstructorFactory(bio=None)
    courses = [
        CourseFactory(instructor=teacher, duration=timedelta(days=3, hours=4, microseconds=5),
                      difficulty_level=None, learning_objectives=None, prerequisites="Algebra"),
        CourseFactory(instructor=teacher, status=CourseStatus.DRAFT),
        CourseFactory(instructor=other, visibility=Visibility.PRIVATE, duration=None),
        CourseFactory(instructor=other, difficulty_level=DifficultyLevel.ADVANCED),
        CourseFactory(instructor=other),  # no tasks at all
    ]  # fmt: skip
    for number in range(25):  # more than a nested page of 20
        TaskFactory(
            course=courses[0],
            task_type=[TaskType.QUIZ, TaskType.LEARNING][number % 2],
            status=TaskStatus.DRAFT if number % 7 == 3 else TaskStatus.PUBLISHED,
            max_score=None if number % 5 == 0 else Decimal("999.99"),
            deadline=None if number % 3 else datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
            time_limit=90 if number % 4 == 0 else None, created_by=None if number % 6 else other,
        )  # fmt: skip
    for course in courses[1:4]:
        TaskFactory(course=course, passing_score=Decimal("0.50"), is_randomized=True)
    return {
        "anonymous": None, "student": UserFactory(), "instructor": teacher, "staff": StaffFactory(),
        "courses": courses,
    }  # fmt: skip


@pytest.fixture
def spy(monkeypatch):
    """How many documents the plain path answered, and how many it left to the executor."""
    seen = {"answered": 0, "left": 0}
    original = compiled.read

    def read(*args):
        data = original(*args)
        seen["answered" if data is not None else "left"] += 1
        return data

    monkeypatch.setattr(compiled, "read", read)
    return seen


def first_difference(a, b, path="") -> str | None:
    """Where two answers first differ, for the failure message."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return next((d for k in a if (d := first_difference(a[k], b[k], f"{path}.{k}"))), None)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return next(
            (d for i, (x, y) in pairs if (d := first_difference(x, y, f"{path}[{i}]"))), None
        )
    return None if a == b else f"{path}: {a!r} != {b!r}"


def both_ways(client, query: str, variables: dict | None = None) -> tuple[dict, dict]:
    plain = post(client, query, variables)
    with compiled.executor_only(schema):
        executed = post(client, query, variables)
    return plain, executed


PLAIN = {
    "nested": """{ courses(first: 100) { edges { node {
        id title tasks(first: 20) { edges { node { id title taskType status maxScore deadline } } }
    } } } }""",
    "every_column": """{ courses { totalCount edges { cursor node {
        id title description status visibility learningObjectives prerequisites duration
        difficultyLevel createdAt updatedAt instructor { id username firstName lastName bio }
        tasks { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node {
            id title description taskType status difficultyLevel deadline maxScore passingScore
            maxSubmissions timeLimit isRandomized createdAt updatedAt
            createdBy { id username courses(first: 2) { totalCount edges { node { id } } } }
            course { id title instructor { username } } } } } } } } }""",
    "pages": """query($after: String) {
      a: courses(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage
        startCursor endCursor __typename } __typename edges { __typename cursor node { id } } }
      b: tasks(first: 7, orderBy: {field: TITLE, direction: DESC}) { edges { node { id title } } }
      c: tasks(after: "YXJyYXljb25uZWN0aW9uOjM=") { pageInfo { hasNextPage } edges { cursor } }
      __typename }""",
    "fragments": """query($skip: Boolean!) {
      courses(first: 3) { ...page }
      again: courses(first: 3) { edges { node { ... on Course { id } ...more } } } }
      fragment page on CourseConnection { totalCount edges { node { id title @skip(if: $skip)
        tasks(first: 1) { edges { node { id } } } } } }
      fragment more on Course { title tasks(first: 3) {
        pageInfo { hasPreviousPage hasNextPage } edges { cursor node { id __typename } } } }""",
    "filtered": """query($instructor: ID!) {
      courses(filter: {instructor: $instructor}, orderBy: {field: CREATED_AT, direction: DESC}) {
        totalCount edges { node { id title status visibility } } } }""",
    "by_id": """query($id: ID!, $task: ID!) { course(id: $id) { id title tasks(first: 5) {
        totalCount edges { node { id } } } more: tasks(first: 5, after: "YXJyYXljb25uZWN0aW9uOjQ=")
        { pageInfo { hasPreviousPage hasNextPage startCursor } edges { cursor node { id } } } }
      task(id: $task) { id title course { id } } }""",
}


def variables_for(name: str, world) -> dict:
    course = world["courses"][0]
    return {
        "pages": {"after": "YXJyYXljb25uZWN0aW9uOjA="},
        "fragments": {"skip": False},
        "filtered": {"instructor": global_id(course.instructor)},
        "by_id": {"id": global_id(course), "task": global_id(course.tasks.first())},
    }.get(name, {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PLAIN)
def test_plain_documents_answer_as_the_executor(as_user, world, spy, role, name):
    client = as_user(world[role])
    plain, executed = both_ways(client, PLAIN[name], variables_for(name, world))
    assert "errors" not in executed, executed
    assert plain == executed, first_difference(plain, executed)
    assert spy == {"answered": 1, "left": 0}


@pytest.mark.parametrize("role", ROLES)
def test_frontend_documents_answer_as_the_executor(as_user, world, spy, role):
    client = as_user(world[role])
    course = world["courses"][0]
    for name, variables in [
        ("course_catalogue", {}),
        ("course_catalogue", {"first": 2, "after": "YXJyYXljb25uZWN0aW9uOjA="}),
        ("course_detail", {"id": global_id(course)}),
        ("instructor_dashboard", {"instructor": global_id(course.instructor)}),
    ]:
        plain, executed = both_ways(client, document(name), variables)
        assert plain == executed, (name, first_difference(plain, executed))
    # The dashboard has `me` and resolver fields (taskCount): the executor answers it.
    assert spy == {"answered": 3, "left": 1}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ courses(first: 101) { edges { node { id } } } }", {}),  # refused: page too long
        ('{ courses(after: "bm9wZQ==") { edges { node { id } } } }', {}),  # not a cursor
        ("{ courses(last: 2) { edges { node { id } } } }", {}),
        ("{ courses { edges { node { id taskCount } } } }", {}),  # a resolver
        ("query($id: ID!) { course(id: $id) { id } }", {"id": "VGFzazox"}),  # a Task's id
        ("query($id: ID!) { course(id: $id) { id } }", {"id": "not base64"}),
        ("{ me { id } courses { totalCount } }", {}),
        # past the end of a nested list (course 5 has no tasks): strawberry-django's answer
        # depends on whether its optimizer prefetched the list
        (
            '{ courses { edges { node { tasks(after: "YXJyYXljb25uZWN0aW9uOjA=") { edges { cursor } pageInfo { hasPreviousPage } } } } } }',
            {},
        ),
        ("{ courses { edges { node { tasks(first: 0) { totalCount } } } } }", {}),
    ],
)
def test_what_the_plain_path_leaves_to_the_executor(as_user, world, spy, query, variables):
    plain, executed = both_ways(as_user(world["staff"]), query, variables)
    assert plain == executed, first_difference(plain, executed)
    assert spy == {"answered": 0, "left": 1}


def test_a_hidden_or_unknown_course_is_null_either_way(as_user, world, spy):
    hidden = global_id(world["courses"][1])  # a draft of another instructor
    query = "query($a: ID!, $b: ID!) { a: course(id: $a) { id } b: course(id: $b) { id } }"
    plain, executed = both_ways(
        as_user(world["student"]), query, {"a": hidden, "b": "Q291cnNlOjk5OTk5"}
    )
    assert plain == executed == {"data": {"a": None, "b": None}}
    assert spy["answered"] == 1


def test_a_wrong_value_would_be_noticed(as_user, world, monkeypatch):
    """The comparison above is not blind: a plain path off by one character fails it."""
    original = compiled.converter

    def off_by_one(leaf, type_name):
        convert = original(leaf, type_name)
        if leaf.name != "String":
            return convert
        return compiled.Convert("other", lambda value: convert.function(value) + "!")

    monkeypatch.setattr(compiled, "converter", off_by_one)
    plain, executed = both_ways(as_user(None), PLAIN["nested"])
    assert plain != executed


# The schema without what the plain path leaves to the executor, so that generated documents
# mostly take it: fields with resolvers, lists of submissions, paging backwards.
LEFT_TO_THE_EXECUTOR = {
    "Course": {"taskCount", "submissionCount"},
    "Task": {"submissions"},
    "User": {"email", "dateJoined", "lastLogin", "isStaff", "profilePictureUrl"},
}


class PlainOnly(Visitor):
    def enter_object_type_definition(self, node, *_):
        self.type_name = node.name.value

    def enter_field_definition(self, node, *_):
        if node.name.value in LEFT_TO_THE_EXECUTOR.get(self.type_name, ()):
            return REMOVE
        return None

    def enter_input_value_definition(self, node, _key, _parent, _path, ancestors):
        in_field = any(getattr(a, "kind", "") == "field_definition" for a in ancestors)
        return REMOVE if in_field and node.name.value in {"last", "before"} else None


# Ids of objects that may exist, of either type, and now and then something else.
IDS = (
    st.tuples(st.sampled_from(["Course", "Task", "User"]), st.integers(1, 40)).map(
        lambda pair: to_base64(*pair)
    )
    | st.text(max_size=8)
).map(lambda value: StringValueNode(value=value))
PLAIN_SDL = print_ast(visit(parse(SCHEMA_FILE.read_text()), PlainOnly()))


@pytest.mark.parametrize("role", ROLES)
def test_generated_queries_answer_as_the_executor(world, as_user, spy, role):
    client = as_user(world[role])

    @settings(FUZZ, suppress_health_check=list(HealthCheck))
    @given(
        document=from_schema(
            PLAIN_SDL,
            custom_scalars={**SCALARS, "ID": IDS},
            fields=["courses", "course", "tasks", "task"],
        )
    )
    def run(document):
        plain, executed = both_ways(client, document)
        assert plain == executed, (document, first_difference(plain, executed))

    run()
    # Random ids and cursors often name nothing plain; still, a good share takes the plain path.
    assert spy["answered"] * 4 > spy["answered"] + spy["left"], spy
