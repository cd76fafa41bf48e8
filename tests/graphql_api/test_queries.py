"""Reading through /graphql/: visibility, filters, ordering, pagination and ids."""

from datetime import timedelta

import pytest
from django.utils import timezone
from strawberry.relay import to_base64

from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility
from tests.factories import CourseFactory, SubmissionFactory, TaskFactory
from tests.helpers import errors_of, global_id, gql, post

pytestmark = pytest.mark.django_db

COURSE_TITLES = """
query Titles($filter: CourseFilter, $orderBy: CourseOrder, $first: Int, $after: String) {
  courses(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { title } }
  }
}
"""

TASK_TITLES = """
query Tasks($filter: TaskFilter, $orderBy: TaskOrder) {
  tasks(filter: $filter, orderBy: $orderBy, first: 100) { totalCount edges { node { title } } }
}
"""

COURSE_BY_ID = """
query Course($id: ID!) { course(id: $id) { title tasks { edges { node { title } } } } }
"""

NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Task { title } ... on Course { title } } }
"""


def titles(data: dict, root: str = "courses") -> list[str]:
    return [edge["node"]["title"] for edge in data[root]["edges"]]


@pytest.fixture
def catalogue(instructor, other_instructor):
    """One course in each state; only 'Open' is published and public."""
    return {
        "open": CourseFactory(title="Open", instructor=instructor),
        "draft": CourseFactory(title="Draft", instructor=instructor, status=CourseStatus.DRAFT),
        "private": CourseFactory(
            title="Private", instructor=other_instructor, visibility=Visibility.PRIVATE
        ),
        "archived": CourseFactory(
            title="Archived", instructor=other_instructor, status=CourseStatus.ARCHIVED
        ),
    }


class TestVisibility:
    @pytest.mark.parametrize(
        ("role", "expected"),
        [
            ("anonymous", ["Open"]),
            ("student", ["Open"]),
            ("instructor", ["Open", "Draft"]),
            ("other_instructor", ["Open", "Private", "Archived"]),
            ("staff", ["Open", "Draft", "Private", "Archived"]),
        ],
    )
    def test_courses_each_role_sees(self, request, as_user, catalogue, role, expected):
        user = None if role == "anonymous" else request.getfixturevalue(role)
        data = gql(as_user(user), COURSE_TITLES)
        assert titles(data) == expected
        assert data["courses"]["totalCount"] == len(expected)

    def test_students_see_only_published_tasks_of_visible_courses(
        self, as_user, student, catalogue
    ):
        TaskFactory(title="Shown", course=catalogue["open"])
        TaskFactory(title="Draft task", course=catalogue["open"], status=TaskStatus.DRAFT)
        TaskFactory(title="In a draft course", course=catalogue["draft"])
        assert titles(gql(as_user(student), TASK_TITLES), "tasks") == ["Shown"]

    def test_owner_sees_draft_tasks_nested_in_their_course(self, as_user, instructor, catalogue):
        TaskFactory(title="Draft task", course=catalogue["open"], status=TaskStatus.DRAFT)
        data = gql(as_user(instructor), COURSE_BY_ID, {"id": global_id(catalogue["open"])})
        assert titles(data["course"], "tasks") == ["Draft task"]
        data = gql(as_user(None), COURSE_BY_ID, {"id": global_id(catalogue["open"])})
        assert titles(data["course"], "tasks") == []

    def test_hidden_and_unknown_ids_look_the_same(self, as_user, catalogue):
        hidden = gql(as_user(None), COURSE_BY_ID, {"id": global_id(catalogue["draft"])})
        unknown = gql(as_user(None), COURSE_BY_ID, {"id": "Q291cnNlOjk5OTk5"})  # Course:99999
        assert hidden == unknown == {"course": None}

    @pytest.mark.parametrize("name", ["Nope", "׽"])  # the second: what "17060414" decodes to
    def test_an_id_naming_no_type_of_this_api_is_a_clear_error(self, as_user, name):
        body = post(
            as_user(None), "query($id: ID!) { node(id: $id) { id } }", {"id": to_base64(name, 1)}
        )
        assert errors_of(body) == ["Not a valid id: use an `id` this API returned."]

    def test_node_resolves_any_visible_type_and_hides_the_rest(self, as_user, catalogue):
        task = TaskFactory(title="A task", course=catalogue["open"])
        client = as_user(None)
        assert gql(client, NODE, {"id": global_id(task)})["node"]["title"] == "A task"
        assert gql(client, NODE, {"id": global_id(catalogue["open"])})["node"]["title"] == "Open"
        assert gql(client, NODE, {"id": global_id(catalogue["private"])})["node"] is None

    def test_private_user_fields_are_null_for_others(self, as_user, student, instructor):
        query = "query { me { email } courses { edges { node { instructor { email } } } } }"
        CourseFactory(instructor=instructor)
        data = gql(as_user(student), query)
        assert data["me"]["email"] == student.email
        assert data["courses"]["edges"][0]["node"]["instructor"]["email"] is None
        data = gql(as_user(instructor), query)
        assert data["courses"]["edges"][0]["node"]["instructor"]["email"] == instructor.email

    def test_students_see_only_their_own_submissions(self, as_user, student, task):
        SubmissionFactory(task=task, user=student, content="mine")
        SubmissionFactory(task=task, content="someone else's")
        query = "query($id: ID!) { task(id: $id) { submissions { edges { node { content } } } } }"
        data = gql(as_user(student), query, {"id": global_id(task)})
        assert [e["node"]["content"] for e in data["task"]["submissions"]["edges"]] == ["mine"]
        data = gql(as_user(task.course.instructor), query, {"id": global_id(task)})
        assert len(data["task"]["submissions"]["edges"]) == 2


class TestFilters:
    def test_each_course_filter(self, as_user, staff, instructor, other_instructor):
        old = timezone.now() - timedelta(days=400)
        CourseFactory(title="Python basics", instructor=instructor, created_at=old)
        CourseFactory(
            title="Advanced SQL", instructor=other_instructor, status=CourseStatus.DRAFT,
            difficulty_level=DifficultyLevel.ADVANCED, visibility=Visibility.PRIVATE,
            description="Window functions and python UDFs",
        )  # fmt: skip
        client = as_user(staff)
        cases = {
            "status": ({"status": "DRAFT"}, ["Advanced SQL"]),
            "visibility": ({"visibility": "PUBLIC"}, ["Python basics"]),
            "difficulty": ({"difficultyLevel": "ADVANCED"}, ["Advanced SQL"]),
            "instructor": ({"instructor": global_id(instructor)}, ["Python basics"]),
            "search both fields": ({"search": "PYTHON"}, ["Python basics", "Advanced SQL"]),
            "created before": (
                {"createdBefore": (old + timedelta(1)).isoformat()},
                ["Python basics"],
            ),
            "created after": ({"createdAfter": (old + timedelta(1)).isoformat()}, ["Advanced SQL"]),
            "combined": ({"search": "python", "status": "PUBLISHED"}, ["Python basics"]),
        }
        for name, (condition, expected) in cases.items():
            assert titles(gql(client, COURSE_TITLES, {"filter": condition})) == expected, name

    def test_each_task_filter(self, as_user, staff, course):
        soon = timezone.now() + timedelta(days=1)
        TaskFactory(
            title="Quiz", course=course, task_type=TaskType.QUIZ, deadline=soon, description=""
        )
        TaskFactory(
            title="Essay", course=course, status=TaskStatus.DRAFT, deadline=None, description=""
        )
        TaskFactory(title="Elsewhere", difficulty_level=DifficultyLevel.ADVANCED, description="")
        client = as_user(staff)
        cases = {
            "type": ({"taskType": "QUIZ"}, ["Quiz"]),
            "status": ({"status": "DRAFT"}, ["Essay"]),
            "course": ({"course": global_id(course)}, ["Quiz", "Essay"]),
            "difficulty": ({"difficultyLevel": "ADVANCED"}, ["Elsewhere"]),
            "deadline before": (
                {"deadlineBefore": (soon + timedelta(hours=1)).isoformat()},
                ["Quiz"],
            ),
            "search": ({"search": "ess"}, ["Essay"]),
        }
        for name, (condition, expected) in cases.items():
            data = gql(client, TASK_TITLES, {"filter": condition})
            assert titles(data, "tasks") == expected, name

    def test_unknown_course_id_is_a_field_error(self, as_user, catalogue):
        body = post(
            as_user(None), TASK_TITLES, {"filter": {"course": global_id(catalogue["draft"])}}
        )
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["message"].startswith("Invalid filter: Select a valid choice.")
        assert error["extensions"]["fields"][0]["field"] == "course"

    def test_id_of_the_wrong_type_is_a_field_error(self, as_user, catalogue):
        user_id = global_id(catalogue["open"].instructor)
        body = post(as_user(None), TASK_TITLES, {"filter": {"course": user_id}})
        assert body["errors"][0]["extensions"]["fields"] == [
            {
                "field": "course",
                "message": f"{user_id} is not the id of a Course.",
                "code": "NOT_FOUND",
            }
        ]

    def test_bad_enum_value_is_refused_by_the_schema(self, as_user):
        body = post(as_user(None), COURSE_TITLES, {"filter": {"status": "LIVE"}})
        assert "LIVE" in errors_of(body)[0] and "CourseStatus" in errors_of(body)[0]

    def test_bad_datetime_is_refused(self, as_user):
        body = post(as_user(None), COURSE_TITLES, {"filter": {"createdAfter": "yesterday"}})
        assert "createdAfter" in errors_of(body)[0]


class TestOrderingAndPages:
    def test_ordering_breaks_ties_by_id_in_both_directions(self, as_user, instructor):
        first = CourseFactory(title="Same", instructor=instructor)
        second = CourseFactory(title="Same", instructor=instructor)
        CourseFactory(title="Alpha", instructor=instructor)
        query = "query($o: CourseOrder) { courses(orderBy: $o) { edges { node { id title } } } }"
        client = as_user(None)
        ascending = gql(client, query, {"o": {"field": "TITLE"}})["courses"]["edges"]
        assert [e["node"]["id"] for e in ascending[1:]] == [global_id(first), global_id(second)]
        descending = gql(client, query, {"o": {"field": "TITLE", "direction": "DESC"}})
        ids = [e["node"]["id"] for e in descending["courses"]["edges"][:2]]
        assert ids == [global_id(second), global_id(first)]

    def test_cursor_pages_cover_every_course_once(self, as_user, instructor):
        CourseFactory.create_batch(7, instructor=instructor)
        seen, after = [], None
        while True:
            page = gql(as_user(None), COURSE_TITLES, {"first": 3, "after": after})["courses"]
            seen += titles({"courses": page})
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == 7 and page["totalCount"] == 7

    def test_page_size_above_100_is_refused(self, as_user):
        body = post(as_user(None), COURSE_TITLES, {"first": 101})
        assert errors_of(body) == ["'first' must be between 0 and 100; got 101."]

    def test_the_operator_sets_the_page_limit(self, as_user, settings):
        settings.GRAPHQL_MAX_PAGE_SIZE = 5
        body = post(as_user(None), COURSE_TITLES, {"first": 6})
        assert errors_of(body) == ["'first' must be between 0 and 5; got 6."]

    @pytest.mark.parametrize("cursor", ["", "garbage", "YWJjOjE=", "YXJyYXljb25uZWN0aW9uOng="])
    def test_a_cursor_not_from_this_api_is_a_clear_error(self, as_user, cursor):
        body = post(as_user(None), COURSE_TITLES, {"after": cursor})
        if cursor == "":
            assert "errors" not in body  # no cursor: the first page
        else:
            assert errors_of(body) == ["'after' is not a cursor: use a pageInfo or edge cursor."]

    def test_a_cursor_is_only_taken_by_the_order_it_was_made_for(self, as_user, instructor):
        CourseFactory.create_batch(3, instructor=instructor)
        client = as_user(None)
        by_title = {"first": 1, "orderBy": {"field": "TITLE"}}
        after = gql(client, COURSE_TITLES, by_title)["courses"]["pageInfo"]["endCursor"]
        body = post(
            client,
            COURSE_TITLES,
            {"after": after, "orderBy": {"field": "TITLE", "direction": "DESC"}},
        )
        message = (
            "'after' is a cursor of the order title ascending, and this list is in the order "
            "title descending: page with the orderBy it came from, or start again without it."
        )
        assert errors_of(body) == [message]
        assert body["errors"][0]["extensions"]["fields"][0]["field"] == "after"

    @pytest.mark.parametrize("argument", ["after", "before"])
    def test_an_offset_cursor_of_an_earlier_version_is_refused_by_name(self, as_user, argument):
        query = f"query($c: String) {{ courses({argument}: $c) {{ totalCount }} }}"
        body = post(as_user(None), query, {"c": to_base64("arrayconnection", 20)})
        assert errors_of(body) == [
            f"'{argument}' is an offset cursor, which this list no longer takes: ask for the "
            "first page again and page on with the cursors it gives."
        ]

    @pytest.mark.parametrize(
        "payload",
        ['["id ascending"]', '["id ascending","1"]', '["id ascending",1.5]', "[",
         '["title ascending",null,1]', '["id ascending",99999999999999999999]'],
    )  # fmt: skip
    def test_a_tampered_keyset_cursor_is_not_a_cursor(self, as_user, payload):
        body = post(as_user(None), COURSE_TITLES, {"after": to_base64("keyset", payload)})
        if payload.startswith('["title'):  # made for another order: said so
            assert "cursor of the order title ascending" in errors_of(body)[0]
        else:
            assert errors_of(body) == ["'after' is not a cursor: use a pageInfo or edge cursor."]

    def test_lists_default_to_at_most_100(self, as_user, instructor):
        CourseFactory.create_batch(101, instructor=instructor)
        data = gql(as_user(None), COURSE_TITLES)["courses"]
        assert (len(data["edges"]), data["totalCount"], data["pageInfo"]["hasNextPage"]) == (
            100, 101, True
        )  # fmt: skip
