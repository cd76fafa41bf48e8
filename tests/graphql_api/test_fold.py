"""An object's nested lists read in its own statement (graphql_api/readpath/fold.py), PostgreSQL.

What a folded statement gives must be what each level's own statement gives, value for value
and type for type (a decimal's scale, an interval's days, a timestamp's microseconds and time
zone, text with every character JSON escapes), for every column of every type, as every kind
of viewer; and the answers the same bytes with and without folding.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from graphql import GraphQLEnumType, GraphQLScalarType, get_named_type

from config.schema import schema
from graphql_api.readpath import execution
from graphql_api.readpath.fallbacks import Fallback
from graphql_api.readpath.fold import Folded
from graphql_api.readpath.read import RootNode
from learningplatform.models import Course, Submission, Task
from tests.factories import CourseFactory, SubmissionFactory, TaskFactory, UserFactory
from tests.helpers import both_ways, global_id, gql, statements

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="folding: PostgreSQL"),
]

UTC = datetime.UTC
TEXTS = ['quote " backslash \\ newline \n tab \t', "é ü ß 💡 \u2028 \u00a0", "", "%s %% {}"]
MOMENTS = [
    None,
    datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime.datetime(2031, 1, 2, 3, 4, 5, 100000, tzinfo=UTC),
    datetime.datetime(2031, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    datetime.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
DURATIONS = [
    datetime.timedelta(0),
    datetime.timedelta(days=400, microseconds=1),
    datetime.timedelta(days=1, seconds=5, microseconds=999999),
    datetime.timedelta(hours=25, minutes=3),
]
SCORES = [Decimal("0.00"), Decimal("0.10"), Decimal("7.50"), Decimal("999.99"), None]


def scalars(type_name: str) -> str:
    """Every column field of a type (a scalar or an enum, no argument it must be given)."""
    fields = schema._schema.type_map[type_name].fields
    return " ".join(
        name
        for name, field in fields.items()
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
        and not any(argument.type.to_string().endswith("!") for argument in field.args.values())
    )


def course_page() -> str:
    return (
        "query($id: ID!) { course(id: $id) { " + scalars("Course")
        + " tasks(first: 50) { totalCount edges { cursor node { " + scalars("Task")
        + " } } pageInfo { hasNextPage endCursor } } } }"
    )  # fmt: skip


def task_page() -> str:
    return (
        "query($id: ID!) { task(id: $id) { " + scalars("Task")
        + " submissions(first: 50) { totalCount edges { node { " + scalars("Submission")
        + " } } } } }"
    )  # fmt: skip


def my_courses() -> str:  # me with counts: read as an object by id
    return (
        "{ me { id username courses(first: 20) { totalCount edges { node { " + scalars("Course")
        + " taskCount tasks(first: 5) { edges { node { id deadline } } } } } } } }"
    )  # fmt: skip


@pytest.fixture
def edge_values(instructor, student):
    """A course of tasks and submissions holding every awkward value of every column type."""
    courses = CourseFactory.create_batch(len(DURATIONS), instructor=instructor)
    for course, duration, text in zip(courses, DURATIONS, TEXTS * 2, strict=False):
        Course.objects.filter(pk=course.pk).update(duration=duration, description=text)
    course = courses[0]
    for n, moment in enumerate(MOMENTS * 2):
        task = TaskFactory(course=course)
        score = SCORES[n % len(SCORES)]
        Task.objects.filter(pk=task.pk).update(
            deadline=moment, description=TEXTS[n % len(TEXTS)], title=TEXTS[n % len(TEXTS)] + "x",
            max_score=Decimal("999.99"), passing_score=score, max_submissions=None if n % 2 else n,
        )  # fmt: skip
        submission = SubmissionFactory(task=task, user=UserFactory())
        Submission.objects.filter(pk=submission.pk).update(
            score=score, content=TEXTS[n % len(TEXTS)], submitted_at=moment or MOMENTS[1]
        )
    SubmissionFactory(task=Task.objects.filter(course=course).first(), user=student)
    return courses


@pytest.fixture
def left(monkeypatch) -> list[str]:
    """Why the read path left a document to the executor: an answer the executor gives would
    hide a wrong fold, so the tests check this stays empty."""
    reasons, read_document = [], execution.read_document

    def answered_here(*args):
        try:
            return read_document(*args)
        except Fallback as fallback:
            reasons.append(fallback.reason)
            raise

    monkeypatch.setattr(execution, "read_document", answered_here)
    return reasons


def viewers(instructor, student, staff):
    return {"anonymous": None, "student": student, "instructor": instructor, "staff": staff}


@pytest.mark.parametrize("viewer", ["anonymous", "student", "instructor", "staff"])
def test_folded_rows_are_each_levels_own_value_for_value(
    as_user, instructor, student, staff, edge_values, monkeypatch, viewer
):
    """Each folded read, in its request, beside what the statements it folds read."""
    compared = []
    read_folded = Folded.rows

    def beside_its_own(self):
        rows, read = read_folded(self)
        assert table(rows) == table(self.parent.rows())
        for level in self.levels:
            own = level.statement.rows([rows[0][0]]) if rows else []
            assert table(read.get(id(level.statement), [])) == table(own)
            compared.append(len(own))
        return rows, read

    monkeypatch.setattr(Folded, "rows", beside_its_own)
    client = as_user(viewers(instructor, student, staff)[viewer])
    tasks = Task.objects.filter(course__in=edge_values).order_by("pk")
    for course in edge_values:
        gql(client, course_page(), {"id": global_id(course)})
    for task in tasks:
        gql(client, task_page(), {"id": global_id(task)})
    gql(client, my_courses())
    assert len(compared) >= 2 * len(edge_values)  # each course's page of tasks and their total
    assert sum(compared) > len(tasks)  # rows, not only empty lists


def table(rows) -> list[list]:
    """Rows with each value's type and, for a decimal, its scale: what equality would miss."""
    return [[(type(v), str(v) if isinstance(v, Decimal) else v) for v in row] for row in rows]


@pytest.mark.parametrize("viewer", ["anonymous", "student", "instructor", "staff"])
def test_answers_are_the_same_bytes_folded_or_not(
    as_user, instructor, student, staff, edge_values, monkeypatch, left, viewer
):
    client = as_user(viewers(instructor, student, staff)[viewer])
    course = edge_values[0]
    tasks = Task.objects.filter(course=course).order_by("pk")
    requests = [(course_page(), {"id": global_id(c)}) for c in edge_values]
    requests += [(task_page(), {"id": global_id(t)}) for t in tasks]
    requests.append((my_courses(), {}))
    answers = {}
    for folding in (True, False):
        monkeypatch.setattr(RootNode, "folding", folding)
        answers[folding] = [
            json.dumps(gql(client, document, variables)) for document, variables in requests
        ]
    assert left == []
    assert answers[True] == answers[False]
    assert any('"edges": [{' in answer for answer in answers[True])  # some rows were read


def test_an_object_and_its_lists_are_one_statement(as_user, instructor, edge_values):
    course = edge_values[0]
    with statements() as sent:
        data = gql(as_user(None), course_page(), {"id": global_id(course)})
    assert data["course"]["tasks"]["totalCount"] == Task.objects.filter(course=course).count()
    assert len(sent) == 1, [sql for sql, _ in sent]
    assert "json_agg" in sent[0][0]


ORDERS = [None, "{field: DEADLINE, direction: DESC}", "{field: MAX_SCORE}", "{field: TITLE}"]


@pytest.mark.parametrize("order", ORDERS)
def test_every_page_of_a_course_folded_is_the_executors(
    as_user, instructor, edge_values, left, order
):
    """Forwards and backwards through a course's tasks, in every order, by cursor: the folded
    read path's answers are the executor's, byte for byte (the kill switch off)."""
    client, course = as_user(instructor), edge_values[0]
    argument = f", orderBy: {order}" if order else ""
    page = (
        "query($id: ID!, $first: Int, $last: Int, $after: String, $before: String) {"
        " course(id: $id) { id tasks(first: $first, last: $last, after: $after, before: $before"
        + argument
        + ") { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
        " edges { cursor node { id title deadline maxScore passingScore } } } } }"
    )

    def answered(**paging):
        folded, _executed = both_ways(client, page, {"id": global_id(course), **paging})
        return folded["data"]["course"]["tasks"]

    seen, after = [], None
    while True:  # forwards, three at a time
        tasks = answered(first=3, after=after)
        seen += [edge["node"]["id"] for edge in tasks["edges"]]
        if not tasks["pageInfo"]["hasNextPage"]:
            break
        after = tasks["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == tasks["totalCount"] == len(MOMENTS) * 2
    back, before = [], None
    while True:  # backwards, two at a time
        tasks = answered(last=2, before=before)
        back = [edge["node"]["id"] for edge in tasks["edges"]] + back
        if not tasks["pageInfo"]["hasPreviousPage"]:
            break
        before = tasks["pageInfo"]["startCursor"]
    assert back == seen
    assert left == []  # every page was the read path's
