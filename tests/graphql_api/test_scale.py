"""What a request costs does not grow with the data: the statements' shapes (issue 25).

Each finding has a test on the SQL both read paths send (the read path, graphql_api/readpath/,
and GraphQL's executor with GRAPHQL_FAST_READS off): on PostgreSQL, the plan itself (EXPLAIN).
Timings are bench/scale.py's, not these tests'.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import override_settings

from graphql_api import connections
from learningplatform.choices import CourseStatus, TaskStatus, TaskType, Visibility
from learningplatform.models import Course, Submission
from learningplatform.selectors import submissions_visible_to, tasks_visible_to
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import explain, global_id, gql, plan_nodes, statements

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_cost_limit")]

ROLES = ["anonymous", "student", "instructor", "staff"]
PATHS = ["read path", "executor"]
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plan of a statement: PostgreSQL"
)


@pytest.fixture
def world(db):
    """Thirty courses of two instructors (drafts and private ones among them), three tasks
    each, and submissions by a student to some."""
    teacher, other, student = InstructorFactory(), InstructorFactory(), UserFactory()
    for number in range(30):
        course = CourseFactory(
            instructor=teacher if number % 2 else other,
            title=f"Course {number:02d}",
            status=CourseStatus.DRAFT if number % 5 == 1 else CourseStatus.PUBLISHED,
            visibility=Visibility.PRIVATE if number % 7 == 2 else Visibility.PUBLIC,
        )
        for task_number in range(3):
            task = TaskFactory(
                course=course,
                status=TaskStatus.DRAFT if task_number == 1 else TaskStatus.PUBLISHED,
            )
            if (number + task_number) % 4 == 0:
                SubmissionFactory(task=task, user=student)
    return {"anonymous": None, "student": student, "instructor": teacher, "staff": StaffFactory()}


def run(client, query: str, path: str, variables: dict | None = None):
    """The data of `query` and every statement it ran, on one read path."""
    with override_settings(GRAPHQL_FAST_READS=path == "read path"), statements() as ran:
        data = gql(client, query, variables)
    return data, [(sql, params) for sql, params in ran if "learningplatform_" in sql]


# --- 1. Aggregates after the page

COUNTS_OF_A_PAGE = """{ courses(first: 3, orderBy: {field: TITLE, direction: DESC}) {
  edges { node { title taskCount submissionCount } } } }"""


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("role", ROLES)
def test_counts_of_a_page_are_counted_for_its_rows_only(world, as_user, role, path):
    data, ran = run(as_user(world[role]), COUNTS_OF_A_PAGE, path)
    assert len(data["courses"]["edges"]) == 3
    (page,) = [(sql, params) for sql, params in ran if "_tasktally" in sql]
    sql, params = page
    assert "GROUP BY" not in sql.upper()
    assert "LIMIT" in sql.upper()
    # taskCount sums the course's task tallies; submissionCount its submission tallies, never
    # the submissions (anonymous visitors see none: a constant 0, no subquery)
    assert sql.count("SUM(") == (1 if role == "anonymous" else 2)
    assert "COUNT(" not in sql
    assert '"learningplatform_submission"' not in sql
    if connection.vendor == "postgresql":  # each count runs once per row of the page (and one more)
        plan = explain(sql, params, analyze=True)
        subplans = [n for n in plan_nodes(plan) if n.get("Parent Relationship") == "SubPlan"]
        assert subplans
        assert all(node["Actual Loops"] <= 4 for node in subplans), plan


SUBMISSION_COUNTS = """{ courses(first: 30) { edges { node { id submissionCount } } }
  me { courses(first: 30) { edges { node { id submissionCount } } } } }"""


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("role", ROLES)
def test_submission_counts_read_the_tallies_with_the_viewers_rule(world, as_user, role, path):
    # submissions by several users, the instructor among them (to another's course)
    for number, course in enumerate(Course.objects.order_by("id")):
        for task in course.tasks.all()[: 1 + number % 3]:
            for user in (UserFactory(), world["instructor"]):
                if course.instructor_id != user.pk:
                    SubmissionFactory(task=task, user=user)
    viewer = world[role] or AnonymousUser()
    data, ran = run(as_user(world[role]), SUBMISSION_COUNTS, path)
    lists = [data["courses"]] + ([data["me"]["courses"]] if data["me"] else [])
    nodes = [edge["node"] for courses in lists for edge in courses["edges"]]
    assert nodes
    courses = {global_id(course): course for course in Course.objects.all()}
    for node in nodes:
        course = courses[node["id"]]
        of_course = Submission.objects.filter(task__course=course)
        assert node["submissionCount"] == submissions_visible_to(viewer, of_course).count()
    if role != "anonymous":
        assert any(node["submissionCount"] for node in nodes)
    assert not [sql for sql, _ in ran if '"learningplatform_submission"' in sql]
    if connection.vendor == "postgresql":  # no scan of the submission table, of any kind
        for sql, params in ran:
            relations = {n.get("Relation Name") for n in plan_nodes(explain(sql, params))}
            assert "learningplatform_submission" not in relations, sql


# --- 2. Counts that follow the viewer's rule cheaply

TOTALS = """{ all: tasks { totalCount } quizzes: tasks(filter: {taskType: QUIZ}) { totalCount } }"""


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("role", ROLES)
def test_the_total_of_every_visible_task_sums_tallies_for_every_viewer(world, as_user, role, path):
    viewer = world[role] or AnonymousUser()
    data, ran = run(as_user(world[role]), TOTALS, path)
    assert data["all"]["totalCount"] == tasks_visible_to(viewer).count() > 0
    quizzes = tasks_visible_to(viewer).filter(task_type=TaskType.QUIZ).count()
    assert data["quizzes"]["totalCount"] == quizzes
    (tallied,) = [sql for sql, _params in ran if "_tasktally" in sql]
    assert 'FROM "learningplatform_task"' not in tallied  # the tallies alone, not one task
    # a filter of the list's own: its tasks counted, under the filter
    (filtered,) = [sql for sql, _params in ran if "COUNT(*)" in sql]
    assert 'FROM "learningplatform_task"' in filtered and '"task_type" = ' in filtered


# --- 4. Search counts bounded

SEARCH = """query($term: String!) { tasks(first: 2, filter: {search: $term}) {
  totalCount edges { node { id } } } }"""


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("role", ROLES)
def test_a_search_counts_exactly_up_to_its_bound_and_null_past_it(
    world, as_user, role, path, monkeypatch
):
    monkeypatch.setattr(connections, "SEARCH_COUNT_BOUND", 4)
    viewer = world[role] or AnonymousUser()
    # what `search` reads: the title and the description, apart
    titles = [
        f"{t}\x00{d}" for t, d in tasks_visible_to(viewer).values_list("title", "description")
    ]
    few = _terms_matching(titles, range(1, 5))
    assert few  # a term matching a few rows, within the bound
    for term, matches in [("Z" * 30, 0), *few, ("", 99)]:
        if term == "":
            term, matches = _most_common_letter(titles)
            assert matches > 4
        data, ran = run(as_user(world[role]), SEARCH, path, {"term": term})
        expected = matches if matches <= 4 else None
        assert data["tasks"]["totalCount"] == expected, (term, matches)
        (count,) = [sql for sql, _params in ran if "COUNT(*)" in sql]
        assert "LIMIT 5" in count.upper()  # the database stops at the bound and one more


def _terms_matching(titles, wanted):
    """(term, matches) for a few terms that match each wanted number of the titles, if any."""
    found = {}
    for title in titles:
        for word in title.replace("\x00", " ").split():
            term = word.lower().strip(".,")
            if len(term) < 3:
                continue
            count = sum(term.upper() in t.upper() for t in titles)
            if count in wanted and count not in found:
                found[count] = (term, count)
    return list(found.values())


def _most_common_letter(titles):
    letters = {c for t in titles for c in t.lower() if c.isascii() and c.isalpha()}
    return max(((c, sum(c in t.lower() for t in titles)) for c in letters), key=lambda p: p[1])


RENAMED = """mutation($id: ID!) { updateCourse(input: {id: $id, title: "Renamed"}) {
  course { taskCount submissionCount } errors { field } } }"""


@pytest.mark.parametrize("role", ["instructor", "staff"])
def test_a_course_a_mutation_returns_counts_its_tallies_too(world, as_user, role):
    course = Course.objects.filter(instructor=world["instructor"], tasks__isnull=False).first()
    data = gql(as_user(world[role]), RENAMED, {"id": global_id(course)})["updateCourse"]
    assert data["errors"] == []
    assert data["course"]["taskCount"] == course.tasks.count() == 3
    assert (
        data["course"]["submissionCount"] == Submission.objects.filter(task__course=course).count()
    )
