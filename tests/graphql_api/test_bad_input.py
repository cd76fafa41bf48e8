"""Ordinary bad input gets an error that says what is wrong, never "Unexpected error.", and
writes nothing; every invalid id gets the same message, and without introspection no message
suggests a name from the schema."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learningplatform.models import Course, Task
from tests.factories import CourseFactory, TaskFactory
from tests.helpers import FUZZ, LEAKS, errors_of, global_id, gql, post

pytestmark = pytest.mark.django_db

INVALID_ID = "Not a valid id: use an `id` this API returned."
CREATE_COURSE = """mutation($input: CreateCourseInput!) {
  createCourse(input: $input) { course { id } errors { field message code } } }"""
CREATE_TASK = """mutation($input: CreateTaskInput!) {
  createTask(input: $input) { task { id } errors { field message code } } }"""
TASKS_AFTER = "query($after: String) { tasks(first: 1, after: $after) { totalCount } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def only_error(body: dict) -> str:
    assert body.get("data") in (None, {}) or all(v is None for v in body["data"].values()), body
    (message,) = errors_of(body)
    assert message != "Unexpected error."
    return message


@pytest.fixture
def author(as_user, instructor):
    return as_user(instructor)


class TestText:
    def test_a_nul_character_in_a_variable(self, author):
        body = post(author, CREATE_COURSE, {"input": {"title": "a\x00b"}})
        assert only_error(body) == "Variable $input.title may not contain NUL characters (U+0000)."
        assert not Course.objects.exists()

    def test_a_nul_character_in_a_literal(self, client):
        body = post(client, '{ courses(filter: {search: "a\\u0000b"}) { totalCount } }')
        assert (
            only_error(body) == "Argument 'filter.search' may not contain NUL characters (U+0000)."
        )

    def test_a_nul_character_in_a_login(self, client):
        query = 'mutation($u: String!) { login(username: $u, password: "x") { user { id } } }'
        body = post(client, query, {"u": "admin\x00"})
        assert only_error(body) == "Variable $u may not contain NUL characters (U+0000)."

    def test_an_unpaired_surrogate_in_a_variable(self, author):
        body = post(author, CREATE_COURSE, {"input": {"title": "x\ud800", "description": "ok"}})
        assert only_error(body) == (
            "Variable $input.title is not valid Unicode: it holds an unpaired surrogate "
            "(U+D800 to U+DFFF)."
        )
        assert not Course.objects.exists()

    def test_an_unpaired_surrogate_in_a_literal(self, client):
        body = post(client, '{ courses(filter: {search: "x\ud800"}) { totalCount } }')
        assert only_error(body) == "Syntax Error: Invalid character within String: U+D800."


class TestNumbersAndDates:
    @pytest.mark.parametrize("score", ["NaN", "sNaN", "Infinity", "-inf"])
    def test_scores_that_are_not_numbers(self, author, course, score):
        variables = {"input": {"courseId": global_id(course), "title": "Q", "maxScore": score}}
        message = only_error(post(author, CREATE_TASK, variables))
        assert f"'{score}' is not a number; send digits such as '42.5'." in message
        assert not Task.objects.exists()

    @pytest.mark.parametrize("deadline", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
    def test_deadlines_outside_the_storable_years(self, author, course, deadline):
        variables = {"input": {"courseId": global_id(course), "title": "Q", "deadline": deadline}}
        message = only_error(post(author, CREATE_TASK, variables))
        assert f"'{deadline}' is outside the dates stored: years 1 to 9999, in UTC." in message
        assert not Task.objects.exists()

    def test_a_duration_literal_beyond_any_timedelta(self, author):
        query = 'mutation { createCourse(input: {title: "Long", duration: "P1000000000D"}) { course { id } } }'
        message = only_error(post(author, query))
        assert "'P1000000000D' is longer than the longest duration stored, 36,500 days." in message
        assert not Course.objects.exists()

    def test_a_duration_the_database_could_not_hold(self, author):
        body = post(author, CREATE_COURSE, {"input": {"title": "Long", "duration": "P999999999D"}})
        assert "longer than the longest duration stored" in only_error(body)

    def test_a_5000_digit_integer(self, client):
        body = post(client, "{ courses(first: 1" + "0" * 5000 + ") { totalCount } }")
        assert only_error(body) == (
            "Argument 'first': Int cannot represent a number of 5,001 digits."
        )

    def test_an_integer_past_32_bits(self, client):
        body = post(client, "{ courses(first: 99999999999) { totalCount } }")
        assert "Int cannot represent non 32-bit signed integer value" in only_error(body)


class TestIdsAndCursors:
    @pytest.mark.parametrize(
        "raw",
        ["Course:²", "Course:1 OR 1=1", "Course:", "Course:99999999999999999999999", "Course:-1",
         "Nope:1", "CourseConnection:1", "PageInfo:1", "not base64!"],
    )  # fmt: skip
    def test_every_invalid_id_gets_the_same_message(self, client, raw):
        given_id = raw if raw == "not base64!" else b64(raw)
        for query in (NODE, "query($id: ID!) { course(id: $id) { id } }"):
            body = post(client, query, {"id": given_id})
            assert errors_of(body) == [INVALID_ID], (raw, query)

    def test_an_unknown_id_of_a_real_type_is_null(self, client):
        assert gql(client, NODE, {"id": b64("Course:123456")}) == {"node": None}

    @pytest.mark.parametrize("raw", ["Course:²", "Course:1 OR 1=1"])
    def test_mutations_report_invalid_ids_as_unknown_ones(self, author, raw):
        query = "mutation($id: ID!) { deleteCourse(id: $id) { errors { field code } } }"
        course = CourseFactory()
        data = gql(author, query, {"id": b64(raw)})
        assert data == {"deleteCourse": {"errors": [{"field": "id", "code": "NOT_FOUND"}]}}
        assert Course.objects.filter(pk=course.pk).exists()

    @pytest.mark.parametrize("position", ["99999999999999999999999", str(2**63), "²", "-1", "1e3"])
    def test_cursors_that_are_not_ours(self, client, position):
        TaskFactory()
        body = post(client, TASKS_AFTER, {"after": b64(f"arrayconnection:{position}")})
        assert only_error(body) == "'after' is not a cursor: use a pageInfo or edge cursor."


BAD_VALUES = st.sampled_from(
    [
        "a\x00b", "x\ud800y", "NaN", "sNaN", "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+01:00", "P1000000000D", "", "   ", b64("Course:²"),
        b64("Course:1 OR 1=1"), b64("arrayconnection:99999999999999999999999"), "1" * 5000,
    ]
)  # fmt: skip
GOOD_TEXT = st.text(alphabet="abc xyz", min_size=1, max_size=8)
FUZZED = [
    (CREATE_COURSE, "input", ["title", "description", "duration", "learningObjectives"]),
    (CREATE_TASK, "input", ["title", "description", "deadline", "maxScore", "passingScore"]),
    (
        "query($f: TaskFilter) { tasks(first: 2, filter: $f) { totalCount } }",
        "f",
        ["search", "course", "createdAfter", "deadlineBefore"],
    ),
]


@FUZZ
@given(data=st.data())
def test_fuzz_mixing_bad_values_in(author, course, data):
    """Bad values mixed into otherwise sensible inputs: always a readable answer, never a crash."""
    query, variable, fields = data.draw(st.sampled_from(FUZZED))
    value = {"courseId": global_id(course)} if "createTask" in query else {}
    for field in fields:
        value[field] = data.draw(BAD_VALUES | GOOD_TEXT | st.none())
    if "createCourse" in query or "createTask" in query:
        value["title"] = value.get("title") or "t"
    extra = data.draw(st.sampled_from([{}, {"node": b64("Course:²")}]))
    before = (Course.objects.count(), Task.objects.count())
    response = author.post(
        "/graphql/", {"query": query, "variables": {variable: value} | extra},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code in {200, 400}, response.content
    body = response.json()
    text = json.dumps(body)
    assert "Unexpected error." not in text
    assert not any(leak in text for leak in LEAKS), text
    if body.get("errors") or any(p.get("errors") for p in (body.get("data") or {}).values() if p):
        assert (Course.objects.count(), Task.objects.count()) == before


PRODUCTION_SUGGESTIONS = [
    "{ courses(first: 10, fist: 3) { totalCount } }",
    "{ courses(filter: {statu: DRAFT}) { totalCount } }",
    "{ courses(filter: {status: DRAF}) { totalCount } }",
    "query($f: CourseFiltr) { courses(filter: $f) { totalCount } }",
    "{ courses { edges { node { ... on Cours { id } } } } }",
    "{ courses { totlCount } }",
    "{ curses { totalCount } }",
]


@pytest.mark.slow  # a process of its own
def test_without_introspection_no_message_suggests_a_name(tmp_path):
    from tests.helpers import PRODUCTION, python

    code = (
        "import django, json, sys; django.setup()\n"
        "from config.schema import schema\n"
        "for query in json.loads(sys.argv[1]):\n"
        "    print(json.dumps([e.message for e in schema.execute_sync(query).errors]))\n"
        "variables = {'f': {'status': 'DRAF', 'statu': 1}}\n"
        "result = schema.execute_sync("
        "'query($f: CourseFilter) { courses(filter: $f) { totalCount } }', variable_values=variables)\n"
        "print(json.dumps([e.message for e in result.errors]))\n"
    )
    result = python("-c", code, json.dumps(PRODUCTION_SUGGESTIONS), tmp_path=tmp_path, **PRODUCTION)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(PRODUCTION_SUGGESTIONS) + 1, result.stderr
    for messages in answers:
        assert messages, result.stdout
        assert not any("Did you mean" in m for m in messages), messages
    assert answers[0] == ["Unknown argument 'fist' on field 'Query.courses'."]
    assert answers[3] == ["Unknown type 'CourseFiltr'."]


def test_with_introspection_suggestions_stay(client):
    body = post(client, "{ courses(first: 10, fist: 3) { totalCount } }")
    assert "Did you mean 'first'" in errors_of(body)[0]


UPDATE_COURSE = """mutation($input: UpdateCourseInput!) {
  updateCourse(input: $input) { course { id } errors { field message code } } }"""
UPDATE_TASK = """mutation($input: UpdateTaskInput!) {
  updateTask(input: $input) { task { id } errors { field message code } } }"""


class TestSmallerOnes:
    def test_a_null_description_is_a_field_error_not_a_conflict(self, author, course):
        variables = {"input": {"id": global_id(course), "description": None}}
        payload = gql(author, UPDATE_COURSE, variables)["updateCourse"]
        assert payload["errors"] == [
            {
                "field": "description",
                "message": 'Description cannot be null. Send "" to leave it empty.',
                "code": "REQUIRED",
            }
        ]
        course.refresh_from_db()
        assert course.description != ""

    @pytest.mark.parametrize(("field", "value"), [("status", None), ("isRandomized", None)])
    def test_a_null_for_any_non_null_task_field(self, author, task, field, value):
        payload = gql(author, UPDATE_TASK, {"input": {"id": global_id(task), field: value}})
        (error,) = payload["updateTask"]["errors"]
        assert (error["field"], error["code"]) == (field, "REQUIRED")
        assert error["message"].endswith("cannot be null.")

    @pytest.mark.parametrize("duration", ["", "  "])
    def test_an_empty_duration_is_refused_not_stored_as_zero(self, author, course, duration):
        body = post(author, CREATE_COURSE, {"input": {"title": "T", "duration": duration}})
        assert f"{duration!r} is not an ISO 8601 duration" in only_error(body)
        body = post(
            author, UPDATE_COURSE, {"input": {"id": global_id(course), "duration": duration}}
        )
        assert "is not an ISO 8601 duration" in only_error(body)
        assert not Course.objects.filter(title="T").exists()
        course.refresh_from_db()
        assert course.duration.days > 0

    @pytest.mark.parametrize("title", [" ", "   ", "\t\n"])
    def test_a_title_of_spaces_is_refused(self, author, course, task, title):
        attempts = [
            (CREATE_COURSE, {"title": title}, "createCourse", "A course needs a title"),
            (UPDATE_COURSE, {"id": global_id(course), "title": title}, "updateCourse",
             "A course needs a title"),
            (CREATE_TASK, {"courseId": global_id(course), "title": title}, "createTask",
             "A task needs a title"),
            (UPDATE_TASK, {"id": global_id(task), "title": title}, "updateTask",
             "A task needs a title"),
        ]  # fmt: skip
        for query, values, name, message in attempts:
            (error,) = gql(author, query, {"input": values})[name]["errors"]
            assert error == {
                "field": "title",
                "message": f"{message}: spaces alone are not one.",
                "code": "REQUIRED",
            }
        assert not Course.objects.filter(title=title).exists()
        assert not Task.objects.filter(title=title).exists()

    def test_two_operations_without_an_operation_name_are_refused(self, client):
        document = "query A { courses { totalCount } } query B { me { id } }"
        body = post(client, document)
        assert only_error(body) == (
            "The document has 2 operations (A, B): send operationName to say which one to run."
        )
        response = client.post(
            "/graphql/", {"query": document, "operationName": "B"}, content_type="application/json"
        )
        assert response.json() == {"data": {"me": None}}
