"""The read path (graphql_api/readpath/) answers exactly as GraphQL's executor does.

Every document is sent twice through the whole HTTP stack, once as the server runs and once with
the kill switch off (GRAPHQL_FAST_READS: the executor only); the response bodies must be equal
byte for byte. Sent as each kind of viewer (visibility differs), over data with drafts, private
courses, nulls, long pages and every scalar kind. The answers must be equal, and the documents
meant to take the plain path must have taken it (a spy records what it answered).
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import REMOVE, StringValueNode, Visitor, parse, print_ast, visit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from strawberry.relay import from_base64, to_base64

from config.schema import schema
from graphql_api.connections import Keyset
from graphql_api.readpath import execution, fallbacks, rows
from graphql_api.readpath.fallbacks import Fallback
from graphql_api.readpath.index import index_of
from graphql_api.readpath.models import ReadFallback
from graphql_api.sdl import SCHEMA_FILE
from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility
from learningplatform.models import Course, Submission, Task
from learningplatform.selectors import courses_visible_to, tasks_visible_to
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import (
    DOCUMENTS,
    FUZZ,
    SCALARS,
    both_ways,
    document,
    global_id,
    gql,
    post,
)

# Documents of every shape, large pages included; test_cost.py tests the cost limit.
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
    """Which documents the read path answered, and why it left the others to the executor."""
    seen = {"answered": 0, "left": 0, "reasons": []}
    original = execution.read_document

    def read_document(*args):
        try:
            data = original(*args)
        except Fallback as fallback:
            seen["left"] += 1
            seen["reasons"].append(fallback.reason)
            raise
        seen["answered"] += 1
        return data

    monkeypatch.setattr(execution, "read_document", read_document)
    return seen


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
    "pages": """query($after: String, $taskAfter: String) {
      a: courses(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage
        startCursor endCursor __typename } __typename edges { __typename cursor node { id } } }
      b: tasks(first: 7, orderBy: {field: TITLE, direction: DESC}) { edges { node { id title } } }
      c: tasks(after: $taskAfter) { pageInfo { hasNextPage } edges { cursor } }
      d: tasks(last: 3, orderBy: {field: DEADLINE}) { pageInfo { hasPreviousPage startCursor }
        edges { cursor node { deadline } } }
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
        totalCount edges { node { id } } } more: tasks(first: 5, after: "a2V5c2V0OlsiaWQgYXNjZW5kaW5nIiw0XQ==")
        { pageInfo { hasPreviousPage hasNextPage startCursor } edges { cursor node { id } } } }
      task(id: $task) { id title course { id } } }""",
    # resolver fields answered as annotations: counts of what the caller can see, at every level
    "counts": """query($id: ID!) { courses { totalCount edges { node { id taskCount submissionCount
        tasks(first: 3) { totalCount edges { node { id course { id taskCount } } } } } } }
      course(id: $id) { taskCount submissionCount title } }""",
    # nested lists in their root lists' orders, both directions, with cursors and totals
    "nested_orders": """{ courses(first: 4) { edges { node { id
        tasks(first: 3, orderBy: {field: DEADLINE, direction: DESC}) { totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { id deadline
            submissions(last: 2, orderBy: {field: SCORE}) { totalCount edges { node { id } } } } } }
        instructor { courses(last: 2, orderBy: {field: TITLE, direction: DESC}) {
          totalCount pageInfo { hasPreviousPage } edges { cursor node { title } } } } } } } }""",
    # the viewer, answered from the user the request loaded, private columns and all
    "me": """{ me { id username firstName lastName bio email dateJoined lastLogin isStaff
        __typename courses(first: 3) { totalCount edges { node { id title } } } } }""",
}


def variables_for(name: str, world) -> dict:
    course = world["courses"][0]
    return {
        "pages": {
            "after": Keyset(Course, None).cursor((course.pk,)),
            "taskAfter": Keyset(Task, None).cursor((course.tasks.order_by("id")[3].pk,)),
        },
        "fragments": {"skip": False},
        "filtered": {"instructor": global_id(course.instructor)},
        "by_id": {"id": global_id(course), "task": global_id(course.tasks.first())},
        "counts": {"id": global_id(course)},
    }.get(name, {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PLAIN)
def test_plain_documents_answer_as_the_executor(as_user, world, spy, role, name):
    client = as_user(world[role])
    plain, executed = both_ways(client, PLAIN[name], variables_for(name, world))
    assert "errors" not in executed, executed
    assert spy["answered"] == 1 and spy["left"] == 0, spy


@pytest.mark.parametrize("role", ROLES)
def test_frontend_documents_answer_as_the_executor(as_user, world, spy, role):
    client = as_user(world[role])
    course = world["courses"][0]
    first_page, _ = both_ways(client, document("course_catalogue"), {"first": 1})
    after = first_page["data"]["courses"]["pageInfo"]["endCursor"]
    for name, variables in [
        ("course_catalogue", {}),
        ("course_catalogue", {"first": 2, "after": after}),
        ("course_detail", {"id": global_id(course)}),
        ("instructor_dashboard", {"instructor": global_id(course.instructor)}),
    ]:
        both_ways(client, document(name), variables)
    assert (spy["answered"], spy["reasons"]) == (5, [])


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ courses(first: 101) { edges { node { id } } } }", {}),  # refused: page too long
        ('{ courses(after: "bm9wZQ==") { edges { node { id } } } }', {}),  # not a cursor
        ('{ courses(after: "YXJyYXljb25uZWN0aW9uOjA=") { edges { node { id } } } }', {}),  # offset
        ("{ courses { edges { node { id instructor { profilePictureUrl } } } } }", {}),
        ("query($id: ID!) { course(id: $id) { id } }", {"id": "VGFzazox"}),  # a Task's id
        ("query($id: ID!) { course(id: $id) { id } }", {"id": "not base64"}),
        ("{ me { id profilePictureUrl } courses { totalCount } }", {}),  # a resolver
    ],
)
def test_what_the_plain_path_leaves_to_the_executor(as_user, world, spy, query, variables):
    both_ways(as_user(world["staff"]), query, variables)
    assert spy["answered"] == 0 and spy["left"] == 1, spy


def test_a_hidden_or_unknown_course_is_null_either_way(as_user, world, spy):
    hidden = global_id(world["courses"][1])  # a draft of another instructor
    query = "query($a: ID!, $b: ID!) { a: course(id: $a) { id } b: course(id: $b) { id } }"
    plain, executed = both_ways(
        as_user(world["student"]), query, {"a": hidden, "b": "Q291cnNlOjk5OTk5"}
    )
    assert plain == {"data": {"a": None, "b": None}}
    assert spy["answered"] == 1


def test_a_wrong_value_would_be_noticed(as_user, world, monkeypatch):
    """The comparison is not blind: a read path off by one character fails it."""
    original = rows.row_builder

    def off_by_one(plan):
        build = original(plan)
        return lambda found: [
            {k: f"{v}!" if isinstance(v, str) else v for k, v in o.items()} for o in build(found)
        ]

    monkeypatch.setattr(rows, "row_builder", off_by_one)
    rows.BUILDERS.clear()
    with pytest.raises(AssertionError):
        both_ways(as_user(None), PLAIN["nested"])
    rows.BUILDERS.clear()


# The schema without what the plain path leaves to the executor, so that generated documents
# mostly take it: fields with resolvers, lists of submissions, paging backwards.
LEFT_TO_THE_EXECUTOR = {
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
        both_ways(client, document)

    run()
    # Random ids and cursors often name nothing plain; still, a good share takes the plain path.
    assert spy["answered"] * 4 > spy["answered"] + spy["left"], spy


# Aliases at every level of a connection, each key with a selection of its own.
ALIASES = [  # at most 15 aliases a document (schema.MAX_ALIASES)
    """{ c: courses(first: 3) { n: totalCount t: __typename
        a: edges { node { x: id y: title } } b: edges { node { x: title y: id i: instructor { x: username } } } }
      d: courses(first: 1) { edges { node { id } } } }""",
    """{ courses(first: 3) { d: edges { x: cursor } e: edges { x: node { id } y: cursor z: __typename }
        p: pageInfo { x: hasNextPage } q: pageInfo { x: endCursor y: startCursor } edges { node { id } } } }""",
    """{ courses(first: 3) { edges { node { t1: tasks(first: 2) { x: totalCount e: edges { node { x: id } } }
        t2: tasks(first: 3) { e: edges { c: cursor node { x: title } } } } } } }""",
]


# Errors at every depth, and null variables with defaults where non-null values are needed.
ERRORS = {
    "variable_null_in_include": (
        "query($show: Boolean = true) { courses(first: 2) { edges { node { id title @include(if: $show) } } } }",
        {"show": None},
    ),
    "variable_null_in_argument": (
        "query($first: Int = 2) { courses(first: $first) { totalCount edges { node { id } } } }",
        {"first": None},
    ),
    "variable_null_in_nested_argument": (
        "query($first: Int = 2) { courses(first: 2) { edges { node { id tasks(first: $first) { edges { node { id } } } } } } }",
        {"first": None},
    ),
    "variable_null_in_input_field": (
        "query($instructor: ID = null) { courses(filter: {instructor: $instructor}) { totalCount } }",
        {"instructor": None},
    ),
    "id_of_5000_digits": (
        "query($id: ID!) { course(id: $id) { id } courses(first: 1) { totalCount } }",
        {"id": to_base64("Course", "9" * 5000)},
    ),
    "page_refused_nested": (
        "{ courses(first: 2) { edges { node { id tasks(first: 1000) { totalCount } } } } }",
        {},
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_aliases_at_every_level_answer_as_the_executor(as_user, world, spy, role):
    for query in ALIASES:
        plain, _ = both_ways(as_user(world[role]), query)
        assert "errors" not in plain, plain
    assert spy["answered"] == len(ALIASES), spy


@pytest.mark.parametrize("role", ["anonymous", "staff"])
@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_located_and_nulled_as_the_executor_does(as_user, world, role, name):
    query, variables = ERRORS[name]
    both_ways(as_user(world[role]), query, variables)


@pytest.mark.parametrize("role", ROLES)
def test_paging_forwards_and_backwards_answers_as_the_executor(as_user, world, role):
    client = as_user(world[role])
    page = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }"
    after, seen = None, 0
    while True:
        body, _ = both_ways(
            client,
            f"query($after: String) {{ tasks(first: 4, after: $after) {{ totalCount {page} }} }}",
            {"after": after},
        )
        seen += len(body["data"]["tasks"]["edges"])
        if not body["data"]["tasks"]["pageInfo"]["hasNextPage"]:
            break
        after = body["data"]["tasks"]["pageInfo"]["endCursor"]
    assert seen == body["data"]["tasks"]["totalCount"]
    before = None
    while True:  # backwards: the executor answers, and the comparison still holds
        body, _ = both_ways(
            client,
            f"query($before: String) {{ tasks(last: 4, before: $before) {{ {page} }} }}",
            {"before": before},
        )
        if not body["data"]["tasks"]["pageInfo"]["hasPreviousPage"]:
            break
        before = body["data"]["tasks"]["pageInfo"]["startCursor"]
    nested = (
        "courses(first: 2) { edges { node { tasks(first: 3, after: $after) { " + page + " } } } }"
    )
    after = None
    for _ in range(10):  # the first course's cursors, applied to each course's list
        body, _ = both_ways(client, f"query($after: String) {{ {nested} }}", {"after": after})
        tasks = body["data"]["courses"]["edges"][0]["node"]["tasks"]
        if not tasks["pageInfo"]["hasNextPage"]:
            break
        after = tasks["pageInfo"]["endCursor"]


def test_the_kill_switch_sends_every_document_to_the_executor(as_user, world, spy, settings):
    settings.GRAPHQL_FAST_READS = False
    both_ways(as_user(world["staff"]), PLAIN["nested"])
    assert spy["answered"] == spy["left"] == 0  # the read path was not even tried
    settings.GRAPHQL_FAST_READS = True
    both_ways(as_user(world["staff"]), PLAIN["nested"])
    assert spy["answered"] == 1


# Which path answers each frontend document: adding a field or a type the read path cannot
# answer changes this table, and the test says which field and why.
FRONTEND_PATHS = {
    "course_catalogue": "read path",
    "course_detail": "read path",
    "instructor_dashboard": "read path",
}


def test_which_path_answers_each_frontend_document(as_user, world, spy):
    assert {p.stem for p in DOCUMENTS.glob("*.graphql") if "query" in p.read_text()} >= set(
        FRONTEND_PATHS
    )
    client = as_user(world["instructor"])
    course = world["courses"][0]
    variables = {"id": global_id(course), "instructor": global_id(course.instructor), "first": 3}
    for name, expected in FRONTEND_PATHS.items():
        text = document(name)
        used = {k: v for k, v in variables.items() if f"${k}" in text}
        spy["reasons"].clear()
        answered = spy["answered"]
        both_ways(client, text, used)
        assert ("read path" if spy["answered"] > answered else spy["reasons"][0]) == expected, name


def test_the_index_lists_what_the_executor_answers_and_why():
    index = index_of(schema._schema)
    unsupported = {
        f"{name}.{field}": why
        for name, entry in index.types.items()
        for field, why in entry.unsupported.items()
    }
    assert unsupported == {
        "User.profilePictureUrl": "has a resolver",
    } | {
        k: v
        for k, v in unsupported.items()
        if k.startswith(("Submission.", "LearningTask.", "QuizTask."))
    }
    assert set(index.roots) >= {"courses", "course", "tasks", "task", "me"}


COUNT_ONLY = [
    "{ courses { edges { node { id tasks { totalCount } } } } }",
    "{ courses { edges { node { id tasks { pageInfo { hasNextPage } } } } } }",
    "{ tasks { edges { node { id course { tasks(first: 1) { totalCount } } } } } }",
]


def test_nested_counts_cost_the_same_statements_for_3_and_12_courses_on_both_paths(
    as_user, staff, settings
):
    client = as_user(staff)

    def measure() -> dict:
        counts = {}
        for fast in (True, False):
            settings.GRAPHQL_FAST_READS = fast
            for query in COUNT_ONLY:
                with CaptureQueriesContext(connection) as captured:
                    body = post(client, query)
                assert "errors" not in body, body
                counts[(fast, query)] = len(captured.captured_queries)
        return counts

    for course in CourseFactory.create_batch(3):
        TaskFactory.create_batch(2, course=course)
    few = measure()
    for course in CourseFactory.create_batch(9):
        TaskFactory.create_batch(2, course=course)
    assert measure() == few
    # session and user, the list, one statement per nested level
    assert few[(False, COUNT_ONLY[0])] == few[(True, COUNT_ONLY[0])] == 4, few


VISIBLE = {"tasks": (Task, tasks_visible_to), "courses": (Course, courses_visible_to)}


@pytest.mark.parametrize("fast", [True, False], ids=["read path", "executor"])
@pytest.mark.parametrize("role", ROLES)
def test_total_count_is_one_plain_count_with_the_visibility_once(
    as_user, world, settings, role, fast
):
    settings.GRAPHQL_FAST_READS = fast
    viewer = world[role]
    for field, (model, visible_to) in VISIBLE.items():
        query = f"""query($after: String) {{ {field}(first: 2, after: $after) {{
            totalCount pageInfo {{ endCursor }} edges {{ node {{ id }} }} }} }}"""
        client = as_user(viewer)
        after = gql(client, query)[field]["pageInfo"]["endCursor"]
        with CaptureQueriesContext(connection) as captured:  # the second page: past a cursor
            data = gql(client, query, {"after": after})
        assert data[field]["totalCount"] == visible_to(viewer or AnonymousUser()).count()
        table = f'FROM "{model._meta.db_table}"'
        if model is Task:  # every task the viewer may see: the sum of their tallies
            (count,) = [q["sql"] for q in captured.captured_queries if "_tasktally" in q["sql"]]
            assert 'COALESCE(SUM("learningplatform_tasktally"."tasks")' in count, count
        statements = [q["sql"] for q in captured.captured_queries if table in q["sql"]]
        if model is not Task:
            (count,) = [sql for sql in statements if "COUNT(" in sql]
            assert count.startswith('SELECT COUNT(*) AS "__count" FROM'), count
        assert " OVER " not in count and "ORDER BY" not in count, count
        for sql in statements:  # the page and the count: each condition once (none for staff)
            assert sql.count('"visibility" = ') == (0 if role == "staff" else 1), sql
            assert "OFFSET" not in sql, sql


def test_every_fallback_is_recorded_and_listed(as_user, world, settings):
    settings.GRAPHQL_RECORD_FALLBACKS = True
    client = as_user(world["staff"])
    for _ in range(3):
        post(client, 'query Dashboard { node(id: "Q291cnNlOjE=") { id } courses { totalCount } }')
    post(
        client, "query Counted { courses { edges { node { instructor { profilePictureUrl } } } } }"
    )
    output = StringIO()
    call_command("read_fallbacks", stdout=output)
    lines = output.getvalue().splitlines()
    node = "Query.node: neither a list nor a model object by id"
    assert any(f"Dashboard: {node}" in line for line in lines)
    assert any("Counted: User.profilePictureUrl: has a resolver" in line for line in lines)
    assert ReadFallback.objects.get(operation_name="Counted").uses == 1
    assert fallbacks.counts[node] >= 3


# Keyset paging: every order field in both directions, over ties and NULLs, forwards and
# backwards, on both paths. Titles are lowercase words so that every collation orders them alike.
WORDS = ["alpha", "beta", "gamma"]
TASK_ORDERS = ["TITLE", "DEADLINE", "CREATED_AT", "UPDATED_AT", "TASK_TYPE", "MAX_SCORE"]
COURSE_ORDERS = ["TITLE", "CREATED_AT", "UPDATED_AT", "STATUS", "DIFFICULTY_LEVEL"]
ORDER_COLUMNS = {
    "TITLE": "title", "DEADLINE": "deadline", "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at", "TASK_TYPE": "task_type", "MAX_SCORE": "max_score",
    "STATUS": "status", "DIFFICULTY_LEVEL": "difficulty_level",
}  # fmt: skip
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }"


@pytest.fixture
def ties(db):
    """Courses and tasks whose order columns repeat and are often NULL."""
    teacher = InstructorFactory()
    deadlines = [
        None,
        datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2031, 1, 1, tzinfo=UTC),
    ]
    for n in range(8):
        course = CourseFactory(
            instructor=teacher, title=WORDS[n % 3],
            difficulty_level=[None, DifficultyLevel.BEGINNER, DifficultyLevel.ADVANCED][n % 3],
            status=CourseStatus.DRAFT if n % 4 == 3 else CourseStatus.PUBLISHED,
        )  # fmt: skip
        for m in range(3):
            TaskFactory(
                course=course, title=WORDS[(n + m) % 3], deadline=deadlines[(n * 3 + m) % 3],
                max_score=[None, Decimal("10.00"), Decimal("20.50")][(n + 2 * m) % 3],
                passing_score=None,
                task_type=[TaskType.QUIZ, TaskType.LEARNING][m % 2],
                status=TaskStatus.DRAFT if m == 2 else TaskStatus.PUBLISHED,
            )  # fmt: skip
    return teacher


def expected_order(rows, descending: bool) -> list[int]:
    """Ids in the API's order: by the value with NULLs above every value, then by id."""
    values = sorted((row for row in rows if row[1] is not None), key=lambda row: (row[1], row[0]))
    nulls = sorted(row for row in rows if row[1] is None)
    ids = [row[0] for row in values + nulls]
    return ids[::-1] if descending else ids


def walk(client, field: str, order: str | None, direction: str) -> tuple[list[str], list[str]]:
    """Every id of a root list, paged forwards, then paged backwards, 4 a page, on both paths."""
    ordering = f"orderBy: {{field: {order}, direction: {direction}}}" if order else ""
    forwards, after = [], None
    for _ in range(50):
        query = (
            f"query($after: String) {{ {field}(first: 4, after: $after {ordering}) {{ {PAGE} }} }}"
        )
        page = both_ways(client, query, {"after": after})[0]["data"][field]
        forwards += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backwards, before = [], None
    for _ in range(50):
        query = f"query($before: String) {{ {field}(last: 4, before: $before {ordering}) {{ {PAGE} }} }}"
        page = both_ways(client, query, {"before": before})[0]["data"][field]
        backwards = [edge["node"]["id"] for edge in page["edges"]] + backwards
        assert page["pageInfo"]["hasNextPage"] == (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    return forwards, backwards


LISTS = [
    (field, model, visible_to, order, direction)
    for field, model, visible_to, orders in [
        ("tasks", Task, tasks_visible_to, TASK_ORDERS),
        ("courses", Course, courses_visible_to, COURSE_ORDERS),
    ]
    for order, direction in [(None, "ASC")] + [(o, d) for o in orders for d in ("ASC", "DESC")]
]


@pytest.mark.parametrize("role", ["anonymous", "staff"])
@pytest.mark.parametrize(
    ("field", "model", "visible_to", "order", "direction"),
    LISTS,
    ids=[f"{field}-{order}-{direction}" for field, _m, _v, order, direction in LISTS],
)
def test_keyset_pages_cover_the_list_once_in_order_both_ways(
    as_user, ties, staff, role, field, model, visible_to, order, direction
):
    viewer = staff if role == "staff" else None
    rows = visible_to(viewer or AnonymousUser()).values_list("id", ORDER_COLUMNS.get(order, "id"))
    expected = [global_id(model(pk=pk)) for pk in expected_order(rows, direction == "DESC")]
    forwards, backwards = walk(as_user(viewer), field, order, direction)
    assert forwards == expected  # no gap, no overlap, ties broken by id, NULLs above values
    assert backwards == expected


# Nested lists: the orders of their root lists, keyset cursors applied to each parent's list
# (a cursor holds an order and a row's key, not a parent), read for many parents at once.
SUBMISSION_ORDERS = ["SUBMITTED_AT", "SCORE", "ATTEMPT"]
SUBMISSION_COLUMNS = {"SUBMITTED_AT": "submitted_at", "SCORE": "score", "ATTEMPT": "attempt"}
NESTED = {  # field: (the parents' list, holding INNER; the child's type; its orders)
    "tasks": ("courses(first: 100) { edges { node { id INNER } } }", "Task", TASK_ORDERS),
    "courses": ("me { id INNER }", "Course", COURSE_ORDERS),
    "submissions": ("tasks(first: 100) { edges { node { id INNER } } }", "Submission",
                    SUBMISSION_ORDERS),
}  # fmt: skip
NESTED_CASES = [
    (field, order, direction)
    for field, (_outer, _type, orders) in NESTED.items()
    for order, direction in [(None, "ASC")] + [(o, d) for o in orders for d in ("ASC", "DESC")]
]


@pytest.fixture
def graded(ties):
    """Submissions whose scores, attempts and times repeat, to three of the teacher's tasks."""
    moments = [datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)]
    for n, task in enumerate(Task.objects.filter(course__instructor=ties).order_by("id")[:3]):
        for m in range(5):
            SubmissionFactory(
                task=task, attempt=1 + (n + m) % 2, submitted_at=moments[m % 2],
                score=[None, Decimal("5.00"), Decimal("7.50")][(n + m) % 3],
            )  # fmt: skip
    return ties


def decoded(cursor: str) -> int:
    """The primary key a keyset cursor names (its last element)."""
    return json.loads(from_base64(cursor)[1])[-1]


def nested_nodes(data: dict, field: str):
    """(parent primary key, its `field` page) of every parent in an answer."""
    for value in data.values():
        for edge in value["edges"] if "edges" in value else [{"node": value}]:
            yield int(from_base64(edge["node"]["id"])[1]), edge["node"][field]


@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize(
    ("field", "order", "direction"),
    NESTED_CASES,
    ids=[f"{field}-{order}-{direction}" for field, order, direction in NESTED_CASES],
)
def test_nested_pages_follow_each_parent_by_keyset_both_ways(
    as_user, graded, staff, spy, field, order, direction, backwards
):
    """Every nested list, every order: each parent's page is its rows past (or before) the
    cursor's row in that order, ties broken by id, NULLs above every value; every cursor of
    page N gives page N + 1, for every parent in one request, on both paths."""
    viewer = graded if field == "courses" else staff
    outer, type_name, _orders = NESTED[field]
    model = {"tasks": Task, "courses": Course, "submissions": Submission}[field]
    parent = {"tasks": "course_id", "courses": "instructor_id", "submissions": "task_id"}[field]
    column = (ORDER_COLUMNS | SUBMISSION_COLUMNS).get(order, "id")
    by_parent, flat = {}, []
    for parent_id, pk, value in model.objects.values_list(parent, "id", column):
        by_parent.setdefault(parent_id, set()).add(pk)
        flat.append((pk, value))
    ordered = expected_order(flat, direction == "DESC")
    place = {pk: n for n, pk in enumerate(ordered)}
    ordering = f", orderBy: {{field: {order}, direction: {direction}}}" if order else ""
    size, argument = ("last", "before") if backwards else ("first", "after")
    inner = f"{field}({size}: 2, {argument}: $cursor{ordering}) {{ {PAGE} }}"
    query = f"query($cursor: String) {{ {outer.replace('INNER', inner)} }}"
    client, cursors, seen = as_user(viewer), [None], set()
    while cursors:
        cursor = cursors.pop()
        body = both_ways(client, query, {"cursor": cursor})[0]["data"]
        for parent_id, page in nested_nodes(body, field):
            ids = [pk for pk in ordered if pk in by_parent.get(parent_id, set())]
            at = place[decoded(cursor)] if cursor else None
            if backwards:
                rest = [pk for pk in ids if at is None or place[pk] < at]
                expected, more = rest[-2:], len(rest) > 2
            else:
                rest = [pk for pk in ids if at is None or place[pk] > at]
                expected, more = rest[:2], len(rest) > 2
            got = [edge["node"]["id"] for edge in page["edges"]]
            assert got == [to_base64(type_name, pk) for pk in expected], (parent_id, cursor)
            info = page["pageInfo"]
            assert (info["hasPreviousPage"] if backwards else info["hasNextPage"]) == more
            assert (info["hasNextPage"] if backwards else info["hasPreviousPage"]) == bool(cursor)
            following = info["startCursor"] if backwards else info["endCursor"]
            if more and following not in seen:  # page N's cursor gives page N + 1
                seen.add(following)
                cursors.append(following)
    assert seen  # some parent had more than one page
    assert spy["reasons"] == [] and spy["answered"] > 1  # the read path answered every page
