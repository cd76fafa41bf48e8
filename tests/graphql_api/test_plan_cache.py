"""Kept plans (graphql_api/readpath/cache.py): a document is planned once per shape and viewer kind.

The property that matters: a kept plan never answers one viewer with another's visibility, nor
one id with another's object. Six viewers (anonymous, two students, two instructors, staff) take
turns on the same documents, and then hundreds of viewers on ids that change with every request;
each answer must equal the one GraphQL's executor gives with nothing kept, while the cache shows
that kept plans served them.
"""

import base64
import gc
import json
import types

import pytest
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from graphql import GraphQLResolveInfo, parse
from graphql.execution.executor import Executor
from strawberry.relay import to_base64
from strawberry.types.info import Info

from config.schema import schema
from graphql_api.readpath import fallbacks
from graphql_api.readpath.binding import VIEWER_ID, shape_of
from graphql_api.readpath.cache import frozen, plan_key
from graphql_api.readpath.index import index_of
from graphql_api.trusted_documents import document_id
from learningplatform.choices import CourseStatus, TaskStatus, Visibility
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import POOLED, document, global_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_cost_limit")]

VIEWERS = ["anonymous", "student", "other_student", "instructor", "other_instructor", "staff"]

LISTS = """
query Lists($first: Int) {
  courses(first: $first) {
    totalCount
    edges { node {
      id title status visibility taskCount submissionCount
      instructor { id username firstName lastName bio }
      tasks(first: 30) { totalCount edges { node {
        id title status
        createdBy { username firstName }
        submissions(first: 10) { totalCount edges { node {
          id content score user { username firstName }
        } } }
      } } }
    } }
  }
  tasks(first: 50) { totalCount edges { node {
    id title course { title instructor { username lastName } }
  } } }
}
"""

ONE = """
query One($id: ID!) {
  course(id: $id) {
    title instructor { username lastName bio }
    tasks { edges { node { title submissions { totalCount } } } }
  }
}
"""


@pytest.fixture
def world(db):
    teacher, other = InstructorFactory(), InstructorFactory()
    student, other_student = UserFactory(), UserFactory()
    courses = [
        CourseFactory(instructor=teacher),
        CourseFactory(instructor=teacher, status=CourseStatus.DRAFT),
        CourseFactory(instructor=teacher, visibility=Visibility.PRIVATE),
        CourseFactory(instructor=other),
        CourseFactory(instructor=other, visibility=Visibility.PRIVATE),
    ]
    for course in courses:
        published = TaskFactory(course=course, created_by=course.instructor)
        TaskFactory(course=course, status=TaskStatus.DRAFT)
        SubmissionFactory(task=published, user=student)
        if course.instructor == teacher:
            SubmissionFactory(task=published, user=other_student)
    viewers = {
        "anonymous": None, "student": student, "other_student": other_student,
        "instructor": teacher, "other_instructor": other, "staff": StaffFactory(),
    }  # fmt: skip
    return {"viewers": viewers, "courses": courses}


def requests(world) -> list[tuple[str, dict, dict]]:
    """(name, body, variables) of each document, the frontend's sent by id as it sends them."""
    private = world["courses"][2]
    detail = document("course_detail")
    return [
        ("lists", {"query": LISTS}, {"first": 10}),
        ("one private course", {"query": ONE}, {"id": global_id(private)}),
        ("course detail by id", {"documentId": document_id(detail)}, {"id": global_id(private)}),
        ("catalogue", {"query": document("course_catalogue")}, {"first": 5}),
        ("me", {"query": "{ me { id username email firstName isStaff } }"}, {}),
        (
            "dashboard by id",  # a filter checked against the data, and `me`
            {"documentId": document_id(document("instructor_dashboard"))},
            {"instructor": global_id(world["courses"][0].instructor)},
        ),
    ]


def answer(client: Client, body: dict, variables: dict | None = None) -> dict:
    response = client.post(
        "/graphql/", {**body, "variables": variables or {}}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def kept_plans() -> list:
    return index_of(schema._schema).plans.kept()


def test_a_kept_plan_never_answers_with_another_viewers_visibility(world, as_user):
    clients = {name: as_user(user) for name, user in world["viewers"].items()}
    uncached = {}
    with override_settings(GRAPHQL_FAST_READS=False):  # the executor: nothing planned, nothing kept
        for viewer, client in clients.items():
            for name, body, variables in requests(world):
                uncached[viewer, name] = answer(client, body, variables)
    # The documents tell the viewers apart, so an answer served from the wrong plan shows.
    for name in ("lists", "me"):
        answers = [json.dumps(uncached[viewer, name]) for viewer in VIEWERS]
        assert len(set(answers)) == len(VIEWERS), name
    assert uncached["anonymous", "one private course"] == {"data": {"course": None}}

    cache = index_of(schema._schema).plans
    cache.clear()
    for round_ in range(3):
        misses = cache.misses
        for viewer in VIEWERS:  # one viewer after another on the same documents
            for name, body, variables in requests(world):
                got = answer(clients[viewer], body, variables)
                assert got == uncached[viewer, name], (viewer, name)
        if round_ == 2:  # every request ran a kept plan
            assert cache.misses == misses
    # By shape: one plan per document and viewer kind, the dashboard's too (its filter's check
    # that the instructor exists is a statement of its plan), and none per viewer.
    assert all(isinstance(key[-1], str) for key in cache.keys())
    assert len(cache.keys()) <= len(requests(world)) * 3
    assert all(plan.fallback is None for plan in kept_plans())  # the read path answered them


def test_a_viewer_whose_rights_change_gets_a_plan_for_their_new_rights(world, as_user):
    student = world["viewers"]["student"]
    client = as_user(student)
    name, body, variables = requests(world)[0]
    before = answer(client, body, variables)
    student.is_staff = True
    student.save()
    as_staff = answer(client, body, variables)
    with override_settings(GRAPHQL_FAST_READS=False):
        assert as_staff == answer(client, body, variables)
    assert as_staff != before  # staff see the drafts and private courses


def test_two_users_with_equal_rights_share_a_plan_and_see_their_own_rows(world, as_user):
    """The user's id is a parameter of the kept SQL, not part of it (their own courses and
    submissions differ)."""
    clients = {v: as_user(world["viewers"][v]) for v in ("student", "other_student")}
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = {v: answer(c, {"query": LISTS}, {"first": 10}) for v, c in clients.items()}
    assert expected["student"] != expected["other_student"]
    for _round in range(2):
        for viewer, client in clients.items():
            assert answer(client, {"query": LISTS}, {"first": 10}) == expected[viewer]
    viewers = {key[-1] for key in index_of(schema._schema).plans.keys()}
    assert viewers == {"signed-in"}  # one plan, by kind, for both


def test_a_plan_built_on_data_follows_the_data(world, student, as_user):
    """A filter by a course checks the course may be seen: the plan kept by shape runs that
    check, for the request's viewer and course, each time; planning itself reads nothing."""
    course = world["courses"][0]
    query = "query ($course: ID!) { tasks(filter: {course: $course}) { totalCount } }"
    client, variables = as_user(student), {"course": global_id(course)}
    cache = index_of(schema._schema).plans
    for _ in range(2):
        assert answer(client, {"query": query}, variables) == {"data": {"tasks": {"totalCount": 1}}}
    ((plan,),) = [kept_plans()]
    assert plan.checks and not plan.reads and (cache.misses, cache.hits) == (1, 1)
    course.visibility = Visibility.PRIVATE
    course.save()
    hidden = answer(client, {"query": query}, variables)
    teacher = as_user(world["viewers"]["instructor"])  # the course's own: still sees it
    with override_settings(GRAPHQL_FAST_READS=False):
        assert hidden == answer(client, {"query": query}, variables)
        theirs = answer(teacher, {"query": query}, variables)
    assert "errors" in hidden  # not an answer planned for the course as it was
    assert answer(teacher, {"query": query}, variables) == theirs
    assert theirs == {"data": {"tasks": {"totalCount": 2}}}
    assert len(kept_plans()) == 1  # the same plan


def test_a_level_sends_the_same_sql_for_any_number_of_parents(world, staff, as_user):
    """The parents' ids are one array parameter, not an IN list as long as the page."""
    query = """query ($n: Int) { courses(first: $n) { edges { node {
        tasks { totalCount edges { node { id } } } } } } }"""
    client, statements = as_user(staff), []
    for first in (1, 2, 5):
        with CaptureQueriesContext(connection) as captured:
            answer(client, {"query": query}, {"n": first})
        nested = [
            q["sql"]
            for q in captured.captured_queries
            if any(shape in q["sql"] for shape in ("ROW_NUMBER", "LATERAL", "_tasktally"))
        ]
        assert len(nested) == 2  # the pages, and the totals
        statements += nested
    if connection.vendor == "postgresql":
        # The text Django logs has the parameters in it; the array is the only one that changes.
        # (a LATERAL join's array is `unnest(...)`, a count's `= ANY(...)`)
        shapes = {sql.split("ANY(")[0].split("unnest(")[0] for sql in statements}
        assert len(shapes) == 2
    else:
        shapes = {sql.split("json_each(")[0] for sql in statements}
        assert len(shapes) == 2 and all("IN (SELECT value FROM json_each(" in s for s in statements)


def test_a_changed_setting_is_planned_afresh(world, staff, settings, as_user):
    client, query = as_user(staff), "{ courses { edges { node { id } } } }"
    for size in (2, 3, 2):
        settings.GRAPHQL_MAX_PAGE_SIZE = size  # the page a list gives when none is asked for
        got = answer(client, {"query": query}, {})
        assert len(got["data"]["courses"]["edges"]) == size


def test_the_cache_keeps_at_most_its_size_and_zero_keeps_none(world, staff, settings, as_user):
    client = as_user(staff)
    settings.GRAPHQL_PLAN_CACHE_SIZE = 2
    for first in (1, None, 0):  # three shapes (a size, none, none at all)
        answer(client, {"query": LISTS}, {"first": first})
    assert len(kept_plans()) == 2
    settings.GRAPHQL_PLAN_CACHE_SIZE = 0
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = answer(client, {"query": LISTS}, {"first": 3})
    for _ in range(2):
        assert answer(client, {"query": LISTS}, {"first": 3}) == expected
    assert kept_plans() == []


def test_a_document_the_executor_answers_is_not_planned_again(world, staff, as_user):
    client, query = as_user(staff), "{ me { profilePictureUrl } courses { totalCount } }"
    before = sum(fallbacks.counts.values())
    first, second, third = (answer(client, {"query": query}, {}) for _ in range(3))
    assert first == second == third and first["data"]["me"] == {"profilePictureUrl": None}
    assert sum(fallbacks.counts.values()) == before + 3  # still counted each time
    # Planned once, by kind; the second and third are not planned.
    assert all(plan.fallback for plan in kept_plans()) and len(kept_plans()) == 1
    assert index_of(schema._schema).plans.hits == 2


def test_a_kept_plan_holds_nothing_of_its_request(world, as_user):
    for user in world["viewers"].values():
        for _name, body, variables in requests(world):
            answer(as_user(user), body, variables)
    request_kinds = (
        HttpRequest, AbstractBaseUser, AnonymousUser, Info, GraphQLResolveInfo, Executor
    )  # fmt: skip
    plans = kept_plans()
    assert len(plans) >= 3 * (len(requests(world)) - 1)  # by kind, and each first planning
    for plan in plans:
        held = [o for o in reachable(plan) if isinstance(o, request_kinds)]
        assert held == [], held[:3]


def reachable(root) -> list:
    """What `root` refers to, directly or not; classes, modules and functions' globals aside, and
    database connections (shared by every request; Django keeps the last error that made one roll
    back, with its traceback, on it: `rollback_exc`)."""
    seen, stack, found = set(), [root], []
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | BaseDatabaseWrapper):
            continue
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, types.FunctionType):
            stack.extend(cell.cell_contents for cell in obj.__closure__ or ())
            stack.extend(obj.__defaults__ or ())
        else:
            stack.extend(gc.get_referents(obj))
    return found


@pytest.mark.parametrize(
    "value",
    [1, 1.0, True, "1", None, [1], {"a": 1}, CourseStatus.PUBLISHED, "PUBLISHED"],
)
def test_variables_are_keyed_by_value_and_type(value):
    others = [1, 1.0, True, "1", None, [1], {"a": 1}, CourseStatus.PUBLISHED, "PUBLISHED"]
    matches = [o for o in others if frozen(o) == frozen(value)]
    assert len(matches) == 1
    assert frozen({"b": [value], "a": 2}) == frozen({"a": 2, "b": [value]})


def test_a_value_with_no_stable_identity_is_not_keyed():
    class Context:
        operation = type("Op", (), {"loc": object(), "name": None})()
        variable_values = type("Values", (), {"coerced": {"x": object()}})()

    assert plan_key(Context(), AnonymousUser()) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
@pytest.mark.skipif(POOLED, reason="a transaction-mode pooler: no statement is prepared")
def test_a_kept_plans_statements_are_prepared_on_postgresql(world, staff, as_user):
    """Its SQL text is the same each time, so the connection prepares it (DB_PREPARE_THRESHOLD)."""
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 1
    client = as_user(staff)
    for first in (1, 3, 5, 2):  # any page: the parents' ids are one parameter
        answer(client, {"query": LISTS}, {"first": first})
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    nested = [sql for sql in prepared if "CROSS JOIN LATERAL" in sql and "unnest($" in sql]
    assert nested, prepared


TASK = "query Task($id: ID!) { task(id: $id) { title status course { title } } }"


@pytest.fixture
def crowd(db):
    """Hundreds of viewers of every kind, and courses of every status and visibility."""
    instructors = InstructorFactory.create_batch(12)
    courses = []
    for n, instructor in enumerate(instructors):
        for status, visibility in (
            (CourseStatus.PUBLISHED, Visibility.PUBLIC),
            (CourseStatus.DRAFT, Visibility.PUBLIC),
            (CourseStatus.PUBLISHED, Visibility.PRIVATE),
        ):
            courses.append(
                CourseFactory(instructor=instructor, status=status, visibility=visibility)
            )
        courses[-1 - n % 3].title = f"course {n}"
    students = UserFactory.create_batch(180)
    tasks = []
    for n, course in enumerate(courses):
        tasks.append(TaskFactory(course=course, title=f"task {n}"))
        tasks.append(TaskFactory(course=course, status=TaskStatus.DRAFT, title=f"draft {n}"))
        SubmissionFactory(task=tasks[-2], user=students[n % len(students)])
    viewers = [None, *students, *instructors, *StaffFactory.create_batch(3)]
    return {"viewers": viewers, "courses": courses, "tasks": tasks}


def test_hundreds_of_viewers_and_ids_run_plans_kept_by_shape(crowd, as_user):
    """Every viewer a different user, every request another id: each answer is the executor's
    uncached one, and the plans kept are a handful, not one per user or id."""
    viewers, courses, tasks = crowd["viewers"], crowd["courses"], crowd["tasks"]
    detail = {"documentId": document_id(document("course_detail"))}
    sends = []
    for n, user in enumerate(viewers):
        one = ({"query": ONE}, {"id": global_id(courses[(n * 7) % len(courses)])})
        task = ({"query": TASK}, {"id": global_id(tasks[(n * 11) % len(tasks)])})
        sends.append((user, *(one if n % 2 else task)))
        sends.append((user, detail, {"id": global_id(courses[(n * 5) % len(courses)])}))
    clients = {user: as_user(user) for user in viewers}
    with override_settings(GRAPHQL_FAST_READS=False):  # (a changed setting empties the cache)
        expected = [answer(clients[user], body, variables) for user, body, variables in sends]
    got = [answer(clients[user], body, variables) for user, body, variables in sends]
    for send, mine, theirs in zip(sends, got, expected, strict=True):
        assert mine == theirs, send
    answers = {json.dumps(a) for a in got}
    assert len(viewers) >= 190 and len(answers) > 30  # the answers differ: a mix-up would show
    cache = index_of(schema._schema).plans
    # Three documents: each planned once for its first viewer, then at most once per kind.
    assert len(cache.keys()) <= 3 * 4
    assert cache.hits >= len(sends) - 3 * 4


def test_a_bad_id_or_a_mark_is_answered_as_the_executor_answers_whatever_is_kept(crowd, as_user):
    student = crowd["viewers"][1]
    client = as_user(student)
    course = crowd["courses"][0]
    answer(client, {"query": ONE}, {"id": global_id(course)})  # kept: by shape, from now on
    answer(client, {"query": ONE}, {"id": global_id(crowd["courses"][3])})
    for variables in (
        {"id": global_id(crowd["tasks"][0])},  # another type's id
        {"id": "not base64"},
        {"id": to_base64("Course", "9" * 19)},  # beyond the primary key's range
        {"id": to_base64("Course", str(-VIEWER_ID))},
        {"id": 12},  # the wrong type: GraphQL's own error
        {"id": None},
        {},
    ):
        got = answer(client, {"query": ONE}, variables)
        with override_settings(GRAPHQL_FAST_READS=False):
            assert got == answer(client, {"query": ONE}, variables), variables
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = answer(client, {"query": ONE}, {"id": global_id(course)})
    assert answer(client, {"query": ONE}, {"id": global_id(course)}) == expected


@pytest.mark.parametrize(
    ("document_text", "bound"),
    [
        ("query ($id: ID!) { course(id: $id) { title } }", {"id": "id"}),
        (
            "query ($a: ID!, $b: ID!) { course(id: $a) { title } task(id: $b) { title } }",
            {"a": "id", "b": "id"},
        ),
        ("query ($id: ID!) { course(id: $id) { title } task(id: $id) { title } }", {}),
        ("query ($id: ID!) { course(id: $id) { title } node(id: $id) { id } }", {}),
        (
            "query ($id: ID!) { course(id: $id) { tasks(filter: {course: $id}) { totalCount } } }",
            {},
        ),
        (
            "query ($id: ID!) { course(id: $id) { ...F } } fragment F on Course { tasks(filter: {course: $id}) { totalCount } }",
            {},
        ),
        (
            "query ($id: ID!, $b: Boolean!) { course(id: $id) { title @include(if: $b) } }",
            {"id": "id"},
        ),
        ("query ($first: Int) { courses(first: $first) { totalCount } }", {"first": "size"}),
        (
            "query ($n: Int, $c: String) { courses(first: $n, after: $c) { edges { node {"
            " tasks(first: $n, after: $c) { totalCount } } } } }",
            {"n": "size", "c": "keyset"},  # a root list's page and a nested list's: one use
        ),
        (
            "query ($c: String, $d: String) { courses(after: $c) { edges { node {"
            " tasks(after: $d) { totalCount } } } } }",
            {"c": "keyset", "d": "keyset"},  # a nested list's cursor too
        ),
        (
            "query ($b: String, $m: Int) { courses(before: $b, last: 2) { edges { node {"
            " tasks(first: $m, before: $b) { totalCount } } } } }",
            {"b": "keyset", "m": "size"},  # `last`: a fact
        ),
        (
            "query ($s: String, $f: TaskFilter, $i: ID, $o: CourseOrder) {"
            " courses(filter: {search: $s, instructor: $i}, orderBy: $o) { totalCount }"
            " tasks(filter: $f) { totalCount } }",
            {"s": "search", "f": "filter", "i": "object"},  # an order: a fact
        ),
        (
            "query ($n: Int) { courses(first: $n) { totalCount } tasks(after: $n) { totalCount } }",
            {},
        ),
    ],
)
def test_each_variable_is_bound_by_its_one_use(document_text, bound):
    parsed = parse(document_text)
    operation = parsed.definitions[0]
    fragments = {d.name.value: d for d in parsed.definitions[1:]}
    roots = {name: (r.kind, r.target) for name, r in index_of(schema._schema).roots.items()}
    uses = shape_of(operation, fragments, roots).variables
    assert {name: use.kind for name, use in uses.items()} == bound


def test_a_variable_that_starts_reading_data_is_planned_for_the_real_viewer(world, as_user):
    """Planned by shape while the filter is null; given a course, planning checks the course
    for the viewer (not for a stand-in), and the operation is planned per viewer from then on."""
    query = "query ($c: ID) { tasks(filter: {course: $c}) { totalCount } }"
    teacher = world["viewers"]["instructor"]
    private = world["courses"][2]  # the instructor's own private course
    sends = [(teacher, None), (world["viewers"]["student"], None), (teacher, global_id(private)),
             (world["viewers"]["student"], global_id(private)), (teacher, global_id(private))]  # fmt: skip
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = [answer(as_user(u), {"query": query}, {"c": c}) for u, c in sends]
    got = [answer(as_user(u), {"query": query}, {"c": c}) for u, c in sends]
    assert got == expected
    assert expected[2] == {"data": {"tasks": {"totalCount": 2}}} and "errors" in expected[3]


TASK_PAGES = """
query TaskPages($n: Int, $after: String, $s: String) {
  tasks(first: $n, after: $after, filter: {search: $s}, orderBy: {field: DEADLINE}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { title deadline course { title } } }
  }
}
"""

NESTED_PAGES = """
query NestedPages($n: Int, $m: Int, $c: String, $f: CourseFilter) {
  courses(first: $n, filter: $f) {
    pageInfo { hasNextPage hasPreviousPage }
    edges { node { title tasks(first: $m, after: $c, orderBy: {field: DEADLINE}) {
      pageInfo { hasNextPage hasPreviousPage }
      edges { cursor node { title } }
    } } }
  }
}
"""

SEARCHES = [None, "", "  task ", "task 1", "draft", "1", "%", "_", "t%k", "zzz", "course"]


def shape_of_send(name: str, variables: dict) -> tuple:
    """What of a send's values shapes its plan, as the test sees it: null or not, empty or not,
    a cursor's value null or not; never the value itself, at the root or in a nested list."""
    facts = []
    for key, value in sorted(variables.items()):
        if key in ("after", "c") and value:
            payload = json.loads(base64.b64decode(value).decode().split(":", 1)[1])
            facts.append((key, "cursor", payload[1] is None))
        elif isinstance(value, dict):
            facts.append((key, tuple(sorted((k, v is None, v == "") for k, v in value.items()))))
        else:
            facts.append((key, value is None, value == "" or value == 0))
    return (name, tuple(facts))


def test_hundreds_of_viewers_walking_pages_with_sizes_searches_and_filters(crowd, as_user):
    """Page sizes, cursors (each viewer walks on from the page before), search terms and filters
    change with every request, over hundreds of viewers: each answer is the executor's uncached
    one, and the plans kept are bounded by shapes x viewer kinds, never by values or users."""
    viewers = crowd["viewers"]
    crowd["tasks"][3].deadline = None  # a null in the keyset's column: cursors that hold one
    crowd["tasks"][3].save()
    crowd["tasks"][8].deadline = None
    crowd["tasks"][8].save()
    catalogue = {"documentId": document_id(document("course_catalogue"))}
    clients = {user: as_user(user) for user in viewers}
    sends, expected = [], []

    def walk(user, name, body, variables, pages):
        for _page in range(pages):
            sends.append((user, name, body, dict(variables)))
            got = answer(clients[user], body, variables)
            expected.append(got)
            root = got["data"] and next(iter(got["data"].values()))
            if not root or not root.get("pageInfo", {}).get("hasNextPage"):
                return
            variables = {**variables, "after": root["pageInfo"]["endCursor"]}

    # Real cursors of many tasks (a cursor applies to every course's list), null deadlines too.
    nested_cursors = nested_cursors_of(clients[viewers[-1]])
    with override_settings(GRAPHQL_FAST_READS=False):  # (a changed setting empties the cache)
        for n, user in enumerate(viewers):
            search = SEARCHES[n % len(SEARCHES)]
            size = 1 + (n * 7) % 9
            walk(user, "tasks", {"query": TASK_PAGES}, {"n": size, "s": search}, 1 + n % 4)
            if n % 3 == 0:
                filters = {"search": search, "difficultyLevel": None} if n % 2 else None
                walk(user, "catalogue", catalogue, {"first": 1 + n % 5, "filter": filters}, 2)
            if n % 3 == 1:
                nested = {"n": 1 + n % 6, "m": n % 3 or None, "c": None if n % 2 else nested_cursors[n % len(nested_cursors)],
                          "f": {"search": search} if search is not None else None}  # fmt: skip
                sends.append((user, "nested", {"query": NESTED_PAGES}, nested))
                expected.append(answer(clients[user], {"query": NESTED_PAGES}, nested))
    got = [answer(clients[user], body, variables) for user, _name, body, variables in sends]
    for send, mine, theirs in zip(sends, got, expected, strict=True):
        assert mine == theirs, send
    assert not any("errors" in a for a in got)
    answers = {json.dumps(a) for a in got}
    assert len(sends) > 400 and len(answers) > 50  # the answers differ: a mix-up would show
    cache = index_of(schema._schema).plans
    shapes = {shape_of_send(name, variables) for _user, name, _body, variables in sends}
    kinds = 3  # anonymous, signed-in, staff
    # Each document's first planning is its first viewer's own; every other plan is by shape.
    assert len(cache.keys()) <= len(shapes) * kinds + 3
    assert cache.hits >= len(sends) - len(shapes) * kinds - 3
    assert len(cache.keys()) < len(sends) / 5
    assert [plan.fallback for plan in cache.kept() if plan.fallback] == []  # the read path's


def nested_cursors_of(client) -> list[str]:
    """The cursors of every task of every course `client` sees, in NESTED_PAGES's order."""
    everything = answer(client, {"query": NESTED_PAGES}, {"n": 100, "m": 100})
    cursors = [
        edge["cursor"]
        for course in everything["data"]["courses"]["edges"]
        for edge in course["node"]["tasks"]["edges"]
    ]
    nulls = [
        c for c in cursors if json.loads(base64.b64decode(c).decode().split(":", 1)[1])[1] is None
    ]
    assert len(cursors) > 20 and nulls  # many tasks, and cursors of a null deadline
    return cursors


def test_a_nested_lists_page_size_and_cursor_are_parameters_of_one_kept_plan(crowd, as_user):
    """A nested list's `first` (its LIMIT n + 1 in each parent's page) and `after` (its cursor's
    deadline and id) reach the SQL as parameters: every page size and cursor of one shape runs
    the same kept plan and the same SQL text, with the request's values among its parameters,
    and answers as the executor does."""
    staff = crowd["viewers"][-1]
    client = as_user(staff)
    for task in crowd["tasks"][3:9:5]:
        task.deadline = None  # cursors that hold a null
        task.save()
    cursors = nested_cursors_of(client)
    sends = [{"n": 12, "m": 1 + k % 4, "c": cursor, "f": None} for k, cursor in enumerate(cursors)]
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = [answer(client, {"query": NESTED_PAGES}, v) for v in sends]
    cache = index_of(schema._schema).plans
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    got, texts = [], {}
    for variables in sends:
        sent.clear()
        with connection.execute_wrapper(record):
            got.append(answer(client, {"query": NESTED_PAGES}, variables))
        pages = ("CROSS JOIN LATERAL", "ROW_NUMBER() OVER")  # PostgreSQL's, SQLite's
        (nested,) = [(sql, params) for sql, params in sent if any(p in sql for p in pages)]
        cursor = json.loads(base64.b64decode(variables["c"]).decode().split(":", 1)[1])
        assert variables["m"] + 1 in nested[1], (nested, variables)  # the LIMIT, bound
        assert cursor[2] in nested[1], (nested, variables)  # the cursor's id, bound
        texts.setdefault(cursor[1] is None, set()).add(nested[0])
    assert got == expected
    # One SQL text for every size and cursor of a fact (the cursor's deadline null or not).
    assert sorted(len(found) for found in texts.values()) == [1, 1]
    assert len(cache.keys()) <= 2 + 1  # a plan per fact (and the first, the viewer's own)
    assert cache.hits >= len(sends) - 3


def test_a_bad_page_cursor_or_search_is_answered_as_the_executor_answers_whatever_is_kept(
    crowd, as_user
):
    """With a plan by shape kept for good values, every value of a kind it cannot take (out of
    range, malformed, another order's cursor, the wrong type) gets the executor's own error."""
    client = as_user(crowd["viewers"][1])
    body = {"query": TASK_PAGES}
    first_page = answer(client, body, {"n": 2, "s": "task"})["data"]["tasks"]
    answer(client, body, {"n": 3, "after": first_page["pageInfo"]["endCursor"], "s": "draft"})
    by_title = answer(client, {"query": "{ tasks(first: 1, orderBy: {field: TITLE}) {"
                                " pageInfo { endCursor } } }"})["data"]["tasks"]  # fmt: skip
    bad = [
        {"n": -1}, {"n": 101}, {"n": 10**12}, {"n": "2"}, {"n": 2.5},
        {"n": 2, "after": "not a cursor"}, {"n": 2, "after": to_base64("arrayconnection", 3)},
        {"n": 2, "after": by_title["pageInfo"]["endCursor"]},  # another order's cursor
        {"n": 2, "after": to_base64("keyset", '["deadline ascending",null]')},
        {"n": 2, "s": "x" * 201}, {"n": 2, "s": "a\x00b"}, {"n": 2, "s": 7},
    ]  # fmt: skip
    for variables in bad:
        got = answer(client, body, variables)
        with override_settings(GRAPHQL_FAST_READS=False):
            assert got == answer(client, body, variables), variables
        assert "errors" in got, variables


TWO_SEARCHES = """
query TwoSearches($a: String, $b: TaskFilter, $n: Int) {
  courses(first: $n, filter: {search: $a}) { totalCount edges { node { title } } }
  tasks(first: $n, filter: $b) { totalCount edges { node { title } } }
}
"""


def test_two_searches_of_one_operation_keep_their_own_values(crowd, as_user):
    """Each bound variable has a mark of its own: two search terms never swap, whatever is kept."""
    client = as_user(crowd["viewers"][-1])  # staff: every course and task
    sends = [
        {"a": a, "b": {"search": b}, "n": n}
        for n, (a, b) in enumerate([("course 1", "task 2"), ("course 2", "draft 1"),
                                    ("1", "task"), ("course", "draft"), ("zzz", "task 3")], 1)
    ]  # fmt: skip
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = [answer(client, {"query": TWO_SEARCHES}, v) for v in sends]
    got = [answer(client, {"query": TWO_SEARCHES}, v) for v in sends]
    assert got == expected
    assert len({json.dumps(a) for a in got}) == len(sends)
    assert len(kept_plans()) == 1


def test_the_filters_bound_as_objects_are_the_filtersets_model_choices():
    """binding.FILTER_USES names each ModelChoiceFilter's type: a filter added to a FilterSet
    without it is a fact of the key (its value in it), never bound to the wrong type."""
    import django_filters

    from graphql_api.readpath.binding import FILTER_USES
    from learningplatform.filters import CourseFilter, TaskFilter

    for filterset in (CourseFilter, TaskFilter):
        for name, filter_ in filterset.base_filters.items():
            use = FILTER_USES.get(name)
            if isinstance(filter_, django_filters.ModelChoiceFilter):
                queryset = filter_.queryset
                model = queryset.model if hasattr(queryset, "model") else None
                if model is None:  # a callable of the request: the rows it gives
                    request = HttpRequest()
                    request.user = AnonymousUser()
                    model = filter_.get_queryset(request).model
                assert use == ("object", model.__name__), name
            elif use is not None:
                assert use == ("search", None) and name == "search", name


def test_a_filter_variable_naming_an_object_is_planned_for_itself_and_the_rest_by_shape(
    crowd, as_user
):
    """`filter: $f` with an instructor in it: that request is planned for its viewer and value
    (its filter's check reads the data); the same document's other requests stay by shape."""
    catalogue = {"documentId": document_id(document("course_catalogue"))}
    instructor = crowd["courses"][0].instructor
    sends = [
        (crowd["viewers"][1], {"first": 3, "filter": {"instructor": global_id(instructor)}}),
        (crowd["viewers"][2], {"first": 2}),
        (crowd["viewers"][3], {"first": 4, "filter": {"search": "course"}}),
        (crowd["viewers"][4], {"first": 1, "filter": {"instructor": global_id(crowd["tasks"][0])}}),
        (crowd["viewers"][5], {"first": 5}),
    ]
    with override_settings(GRAPHQL_FAST_READS=False):
        expected = [answer(as_user(u), catalogue, v) for u, v in sends]
    got = [answer(as_user(u), catalogue, v) for u, v in sends]
    assert got == expected
    assert "errors" in got[3] and got[0]["data"]["courses"]["edges"]
    by_kind = [key for key in index_of(schema._schema).plans.keys() if isinstance(key[-1], str)]
    assert len(by_kind) == 2  # the two shapes without an object, for signed-in viewers


def test_a_value_equal_to_an_integer_columns_stand_in_is_planned_for_itself():
    """An integer column's cursor stand-in lies within the column's range (Django drops a
    comparison outside it), so a request may hold one: such a request is planned per request,
    never by a plan whose marks it would be confused with."""
    from django.db import models

    from graphql_api.readpath.binding import holds_a_mark, key_value_mark

    fields = [models.IntegerField(), models.SmallIntegerField(), models.PositiveIntegerField(),
              models.PositiveSmallIntegerField()]  # fmt: skip
    for field in fields:
        for n in range(4):
            mark = key_value_mark(field, n)
            assert holds_a_mark({"filter": {"attempt": mark}}, "query { __typename }")
            assert holds_a_mark({}, f"query {{ tasks(filter: {{x: {mark}}}) {{ totalCount }} }}")
            assert holds_a_mark({"s": f"x{mark}"}, "query { __typename }")
    assert not holds_a_mark({"n": 5, "s": "task 12"}, "query { tasks(first: 20) { totalCount } }")
