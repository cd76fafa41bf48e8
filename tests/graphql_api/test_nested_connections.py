"""Nested connections: refusals before any SQL, one statement per level, totals per parent.

Their pages and orders, compared with GraphQL's executor, are in test_readpath.py
(`test_nested_pages_follow_each_parent_by_keyset_both_ways`).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from graphql_api.connections import Keyset
from learningplatform.choices import CourseStatus, TaskStatus, Visibility
from learningplatform.models import Course, Submission, Task
from learningplatform.selectors import (
    courses_visible_to,
    submissions_visible_to,
    tasks_visible_to,
)
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import global_id, gql, post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_cost_limit")]

# Each nested list under a root field that reaches it: (document with INNER, its orders' type,
# a field of that order, the node type, its model).
NESTED = {
    "Course.tasks": ("{ courses { edges { node { id INNER } } } }", "tasks", "TITLE", Task),
    "User.courses": (
        "{ courses { edges { node { instructor { id INNER } } } } }",
        "courses",
        "CREATED_AT",
        Course,
    ),
    "Task.submissions": (
        "{ tasks { edges { node { id INNER } } } }",
        "submissions",
        "SCORE",
        Submission,
    ),
}
OFFSET = to_base64("arrayconnection", 3)


def document(name: str, arguments: str, selection: str = "totalCount") -> str:
    outer, field, _order, _model = NESTED[name]
    return outer.replace("INNER", f"{field}({arguments}) {{ {selection} }}")


def bad_inputs(name: str) -> list[tuple[str, dict, str, str]]:
    """(arguments, variables, the argument named, the message) a nested list refuses."""
    _outer, _field, order, model = NESTED[name]
    by_id = Keyset(model, None).cursor((7,))
    by_order = Keyset(model, order.lower()).cursor((None, 7))  # this order, ascending
    column = order.lower()
    other_order = (
        f"'{{argument}}' is a cursor of the order {column} ascending, and this list is in the "
        f"order {column} descending: page with the orderBy it came from, or start again "
        "without it."
    )
    offset = (
        "'{argument}' is an offset cursor, which this list no longer takes: ask for the first "
        "page again and page on with the cursors it gives."
    )
    cases = []
    for argument in ("after", "before"):
        size = "first" if argument == "after" else "last"
        cases += [
            (f"{argument}: $c", {"c": OFFSET}, argument, offset.format(argument=argument)),
            (
                f"{size}: 2, {argument}: $c",
                {"c": OFFSET},
                argument,
                offset.format(argument=argument),
            ),
            (
                f"{argument}: $c, orderBy: {{field: {order}, direction: DESC}}",
                {"c": by_order},
                argument,
                other_order.format(argument=argument),
            ),
            (
                f"{argument}: $c, orderBy: {{field: {order}}}",
                {"c": by_id},
                argument,
                f"'{argument}' is a cursor of the order id ascending, and this list is in the "
                f"order {column} ascending: page with the orderBy it came from, or start again "
                "without it.",
            ),
            (
                f"{argument}: $c",
                {"c": "not a cursor"},
                argument,
                f"'{argument}' is not a cursor: use a pageInfo or edge cursor.",
            ),
        ]
    for size in ("first", "last"):
        for value in (101, -1):
            message = f"'{size}' must be between 0 and 100; got {value}."
            cases.append((f"{size}: $n", {"n": value}, size, message))
    return cases


CASES = [(name, *case) for name in NESTED for case in bad_inputs(name)]


@pytest.fixture
def lists(db):
    """Published public courses, each with published tasks, each task with submissions."""
    teacher = InstructorFactory()
    for _ in range(3):
        course = CourseFactory(instructor=teacher)
        for task in TaskFactory.create_batch(3, course=course):
            SubmissionFactory.create_batch(2, task=task)
    return teacher


@pytest.mark.parametrize("fast", [True, False], ids=["read path", "executor"])
@pytest.mark.parametrize(
    ("name", "arguments", "variables", "argument", "message"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES],
)
def test_bad_page_arguments_are_refused_by_name_before_any_sql(
    client, lists, settings, fast, name, arguments, variables, argument, message
):
    settings.GRAPHQL_FAST_READS = fast
    declared = ", ".join(f"${v}: {'Int' if v == 'n' else 'String'}" for v in variables)
    query = f"query({declared}) " + document(name, arguments)
    with CaptureQueriesContext(connection) as captured:
        body = post(client, query, variables)
    assert captured.captured_queries == []  # refused before anything was read
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"] == message
    (field,) = error["extensions"]["fields"]
    assert field["field"] == argument and field["message"] == message


@pytest.mark.parametrize("name", NESTED)
@pytest.mark.parametrize("as_variable", [False, True], ids=["literal", "variable"])
def test_an_order_by_a_field_that_is_not_orderable_is_refused_before_any_sql(
    client, lists, name, as_variable
):
    """The schema lists the orderable fields (an enum per list); any other is refused by
    GraphQL's validation, naming the enum and the value, before anything runs."""
    order_type = {
        "Course.tasks": "TaskOrder",
        "User.courses": "CourseOrder",
        "Task.submissions": "SubmissionOrder",
    }[name]
    if as_variable:
        query = f"query($o: {order_type}) " + document(name, "orderBy: $o")
        variables = {"o": {"field": "DESCRIPTION"}}
    else:
        query, variables = document(name, "orderBy: {field: DESCRIPTION}"), {}
    with CaptureQueriesContext(connection) as captured:
        body = post(client, query, variables)
    assert captured.captured_queries == []
    (error,) = body["errors"]
    assert f"Value 'DESCRIPTION' does not exist in '{order_type}Field' enum." in error["message"]


ORDERED_PAGE = """query($after: String) { courses(first: 50) { edges { node { id
    tasks(first: 2, after: $after, orderBy: {field: DEADLINE, direction: DESC}) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id deadline } } } } } } }"""


@pytest.mark.parametrize("fast", [True, False], ids=["read path", "executor"])
def test_a_nested_page_is_one_statement_for_any_number_of_parents(as_user, settings, fast):
    """The pages of every parent in one statement (keyset bounds inside, no OFFSET; on
    PostgreSQL a LATERAL join per parent with its LIMIT, elsewhere a window per parent), their
    totals in one more from the task tallies: the same statements for 3 and 12 courses."""
    settings.GRAPHQL_FAST_READS = fast
    teacher = InstructorFactory()

    def statements(courses: int) -> list[str]:
        for _ in range(courses - Course.objects.count()):
            TaskFactory.create_batch(5, course=CourseFactory(instructor=teacher))
        client = as_user(None)
        first = gql(client, ORDERED_PAGE)["courses"]["edges"][0]["node"]["tasks"]
        with CaptureQueriesContext(connection) as captured:
            data = gql(client, ORDERED_PAGE, {"after": first["pageInfo"]["endCursor"]})
        assert all(e["node"]["tasks"]["totalCount"] == 5 for e in data["courses"]["edges"])
        return [q["sql"] for q in captured.captured_queries]

    few, many = statements(3), statements(12)
    assert len(few) == len(many) == 3  # the courses; every course's page; every course's total
    pages = [sql for sql in many if "learningplatform_task" in sql.split("FROM", 1)[1]]
    shape = "CROSS JOIN LATERAL" if connection.vendor == "postgresql" else "ROW_NUMBER() OVER ("
    (page,) = [sql for sql in pages if shape in sql]
    assert '"learningplatform_task"."deadline" <= ' in page  # the keyset bound, inside
    assert "OFFSET" not in page and "COUNT(" not in page, page
    (total,) = [sql for sql in many if "_tasktally" in sql]
    assert "OVER" not in total and 'learningplatform_task"' not in total, total  # no task read
    if connection.vendor == "postgresql":  # each parent's rows, in order, stopped at its LIMIT
        assert "unnest(" in page and 'LIMIT 3) AS "page"' in page, page
    if fast:  # the read path: totals grouped in the database, the parents' ids one parameter
        assert "GROUP BY" in total
        if connection.vendor == "postgresql":
            assert "= ANY(" in total


ROLES = ["anonymous", "student", "instructor", "staff"]


@pytest.fixture
def mixed(db):
    """Courses and tasks of every status and visibility, submissions by two students."""
    teacher, other = InstructorFactory(), InstructorFactory()
    students = UserFactory.create_batch(2)
    for n, (status, visibility) in enumerate(
        [(s, v) for s in CourseStatus for v in Visibility] * 2
    ):
        course = CourseFactory(
            instructor=teacher if n % 2 else other, status=status, visibility=visibility
        )
        for m, task_status in enumerate(TaskStatus):
            task = TaskFactory(course=course, status=task_status)
            for student in students[: (n + m) % 3]:
                SubmissionFactory(task=task, user=student)
    return {"teacher": teacher, "student": students[0]}


PAST_THE_END = {  # a cursor past every row of each list
    "tasks": Keyset(Task, None).cursor((2**40,)),
    "submissions": Keyset(Submission, None).cursor((2**40,)),
    "courses": Keyset(Course, None).cursor((2**40,)),
}


@pytest.mark.parametrize("fast", [True, False], ids=["read path", "executor"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["first: 1", "first: 0", "last: 1", "past the end"])
def test_nested_totals_count_what_each_viewer_sees_for_every_parent(
    as_user, mixed, staff, settings, fast, role, page
):
    """Each parent's totalCount is the number of its rows the viewer may see, whatever the
    page (the first, an empty one, the last, one past the end)."""
    settings.GRAPHQL_FAST_READS = fast
    viewer = {"anonymous": None, "student": mixed["student"], "staff": staff}.get(
        role, mixed["teacher"]
    )
    user = viewer or AnonymousUser()
    client = as_user(viewer)

    def arguments(field: str) -> str:
        return f'after: "{PAST_THE_END[field]}"' if page == "past the end" else page

    query = f"""{{ courses(first: 100) {{ edges {{ node {{ id
        tasks({arguments("tasks")}) {{ totalCount edges {{ node {{ id
          submissions({arguments("submissions")}) {{ totalCount }} }} }} }}
        instructor {{ id courses({arguments("courses")}) {{ totalCount }} }} }} }} }} }}"""
    variables = {}
    data = gql(client, query, variables)
    tasks = tasks_visible_to(user)
    courses = courses_visible_to(user)
    submissions = submissions_visible_to(user)
    for edge in data["courses"]["edges"]:
        node = edge["node"]
        course = Course.objects.get(pk=int(_pk(node["id"])))
        assert node["tasks"]["totalCount"] == tasks.filter(course=course).count()
        instructor = node["instructor"]
        assert (
            instructor["courses"]["totalCount"]
            == courses.filter(instructor_id=int(_pk(instructor["id"]))).count()
        )
        for task_edge in node["tasks"]["edges"]:
            task_id = int(_pk(task_edge["node"]["id"]))
            expected = submissions.filter(task_id=task_id).count()
            assert task_edge["node"]["submissions"]["totalCount"] == expected


def _pk(value: str) -> str:
    from strawberry.relay import from_base64

    return from_base64(value)[1]


def test_a_page_of_a_course_keeps_to_that_course_and_its_cursor_pages_on(as_user, staff):
    """A cursor applies to each parent's list: a course's cursor pages the course on, and
    under another course reads that course's rows past the same key."""
    teacher = InstructorFactory()
    first, second = CourseFactory(instructor=teacher), CourseFactory(instructor=teacher)
    TaskFactory.create_batch(4, course=first)
    TaskFactory.create_batch(4, course=second)
    client = as_user(staff)
    query = """query($id: ID!, $after: String) { course(id: $id) {
        tasks(first: 2, after: $after) { pageInfo { endCursor hasNextPage }
          edges { node { id } } } } }"""
    page = gql(client, query, {"id": global_id(first)})["course"]["tasks"]
    rest = gql(client, query, {"id": global_id(first), "after": page["pageInfo"]["endCursor"]})
    ids = [global_id(t) for t in Task.objects.filter(course=first).order_by("id")]
    assert [e["node"]["id"] for e in page["edges"] + rest["course"]["tasks"]["edges"]] == ids
    other = gql(client, query, {"id": global_id(second), "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in other["course"]["tasks"]["edges"]] == [
        global_id(t) for t in Task.objects.filter(course=second).order_by("id")[:2]
    ]  # every task of the second course comes after the first course's: its first page
