"""The model types' one protocol (graphql_api/nodes.py), held to what it claims.

- Each `seen_with_it` claim ("whoever may see this row may see that related row") holds by the
  types' own visibility rules (their `get_queryset`, i.e. the selectors), for every kind of
  viewer over rows in every state; the checker finds the claims that do not hold.
- Private fields answer null exactly for the viewers their rule refuses, on both paths.
- A plain column added to a type in one line is answered by the read path, as the executor does.
"""

import itertools
import json
from types import SimpleNamespace

import pytest
import strawberry
import strawberry_django
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings
from strawberry import relay
from strawberry.django.context import StrawberryDjangoContext
from strawberry.relay import to_base64

from config.schema import schema
from graphql_api.connections import PageLimitConfig
from graphql_api.enums import SCALARS
from graphql_api.nodes import node_type, node_type_names, private_field, viewer_field
from graphql_api.readpath.execution import ReadPathExecutionContext
from graphql_api.readpath.index import build_index, index_of
from graphql_api.user.types import User as UserType
from learningplatform import models
from learningplatform.choices import CourseStatus, TaskStatus, Visibility
from learningplatform.selectors import can_see_private_fields_of
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import global_id, post

pytestmark = pytest.mark.django_db

INDEX = index_of(schema._schema)


@pytest.fixture
def every_state(db):
    """Two instructors' courses in every status and visibility, each with a task in every
    status (by its instructor, or by an author who teaches nothing), and submissions to each
    task, graded and not; the viewers."""
    teacher, other_teacher, author = InstructorFactory(), InstructorFactory(), InstructorFactory()
    student, idle_student = UserFactory(), UserFactory(is_active=False)
    for owner in (teacher, other_teacher):
        for status, visibility in itertools.product(CourseStatus, Visibility):
            course = CourseFactory(instructor=owner, status=status, visibility=visibility)
            for task_status, written_by in itertools.product(TaskStatus, (owner, author)):
                task = TaskFactory(course=course, status=task_status, created_by=written_by)
                SubmissionFactory(task=task, user=student, graded_by=owner, is_graded=True)
                SubmissionFactory(task=task, user=idle_student)
    return {
        "anonymous": AnonymousUser(),
        "student": student,
        "idle student": idle_student,
        "instructor": teacher,
        "other instructor": other_teacher,
        "staff": StaffFactory(),
    }


def info_for(viewer) -> SimpleNamespace:
    """What a type's get_queryset reads of a resolver's Info: the request's user."""
    return SimpleNamespace(context=SimpleNamespace(request=SimpleNamespace(user=viewer)))


def visible(type_name: str, viewer) -> set[int]:
    entry = INDEX.types[type_name]
    queryset = entry.model.objects.all()
    if entry.has_queryset_hook:
        queryset = entry.origin.get_queryset(queryset, info_for(viewer))
    return set(queryset.values_list("pk", flat=True))


def broken_claims(type_name: str, field: str, viewers: dict) -> list[tuple[str, int, int]]:
    """(viewer, row, related row) wherever a viewer sees a row of `type_name` but not the object
    its `field` names, by the types' own rules."""
    entry = INDEX.types[type_name]
    relation = entry.relations[field]
    attname = relation.model_field.attname
    broken = []
    for role, viewer in viewers.items():
        seen, seen_related = visible(type_name, viewer), visible(relation.target, viewer)
        pairs = entry.model.objects.filter(pk__in=seen).values_list("pk", attname)
        broken += [(role, pk, fk) for pk, fk in pairs if fk is not None and fk not in seen_related]
    return broken


CLAIMS = sorted(
    (name, field) for name, entry in INDEX.types.items() for field in entry.seen_with_it
)


def test_the_claims_are_the_ones_the_types_declare():
    assert CLAIMS == [("Course", "instructor"), ("Task", "course")]


@pytest.mark.parametrize(("type_name", "field"), CLAIMS)
def test_each_claim_holds_for_every_viewer_and_state(every_state, type_name, field):
    assert broken_claims(type_name, field, every_state) == []


@pytest.mark.parametrize(
    ("type_name", "field"),
    [("Submission", "task"), ("Task", "createdBy")],
)
def test_the_check_finds_claims_that_do_not_hold(every_state, type_name, field):
    # A submission stays the student's once its task is hidden; a task's author need not be
    # anyone its readers may see.
    assert broken_claims(type_name, field, every_state)


def test_a_claim_on_anything_but_a_foreign_key_is_refused_at_import():
    with pytest.raises(TypeError, match="not a foreign key"):

        @node_type(models.Course, name="Wrong", seen_with_it=("tasks",))
        class Wrong(relay.Node):
            title: str


def test_global_ids_name_each_models_one_node_type():
    assert node_type_names(schema) == {
        models.Course: "Course",
        models.Task: "Task",
        models.User: "User",
        models.Submission: "Submission",
    }


PRIVATE = [name for name, column in INDEX.types["User"].columns.items() if column.private]


def test_every_private_field_is_read_by_the_read_path():
    assert set(PRIVATE) == {
        "firstName", "lastName", "bio", "email", "dateJoined", "lastLogin", "isStaff",
    }  # fmt: skip
    assert INDEX.types["User"].unsupported == {"profilePictureUrl": "has a resolver"}


def test_private_fields_are_null_exactly_where_their_rule_says(every_state, as_user):
    document = "query($id: ID!) { node(id: $id) { ... on User { id %s profilePictureUrl } } }"
    document %= " ".join(PRIVATE)
    people = [v for v in every_state.values() if v.is_authenticated]
    for (role, viewer), target in itertools.product(every_state.items(), people):
        client = as_user(viewer if viewer.is_authenticated else None)
        if not viewer.is_active:  # an inactive user's session is anonymous
            viewer = AnonymousUser()
        variables = {"id": global_id(target)}
        answered = post(client, document, variables)
        with override_settings(GRAPHQL_FAST_READS=False):
            assert post(client, document, variables) == answered, (role, target)
        node = answered["data"]["node"]
        if node is None:  # a user this viewer may not see at all
            assert role != "staff" and target != viewer, (role, target)
            continue
        shown = {field for field in PRIVATE if node[field] is not None}
        may_see = can_see_private_fields_of(viewer, target)
        # lastLogin is null for whoever never logged in; the rest are set by the factories
        assert shown - {"lastLogin"} == (set(PRIVATE) - {"lastLogin"} if may_see else set())


# --- A type with one more plain column field, in a schema of its own


@node_type(models.User, name="UserPlus")
class UserPlus(UserType):
    is_active: bool  # the one line


@strawberry.type
class PlusQuery:
    user: UserPlus | None = strawberry_django.node()
    me: UserPlus | None = viewer_field(description="You.")


def throwaway_schema(query: type) -> strawberry.Schema:
    """A schema of `query` alone, with the read path in front of the executor, as the API's."""
    built = strawberry.Schema(
        query=query,
        execution_context_class=ReadPathExecutionContext,
        config=PageLimitConfig(scalar_map=SCALARS),
    )
    build_index(built)
    return built


def context_for(viewer) -> StrawberryDjangoContext:
    request = RequestFactory().post("/graphql/")
    request.user = viewer
    return StrawberryDjangoContext(request=request, response=None)


def test_a_plain_column_added_in_one_line_is_answered_by_the_read_path(
    every_state, read_path_answers
):
    plus = throwaway_schema(PlusQuery)
    assert "isActive" in index_of(plus._schema).types["UserPlus"].columns
    document = """query($id: ID!) { user(id: $id) { id username isActive firstName
        courses(first: 3) { totalCount edges { node { title status } } } }
      me { isActive username } }"""
    for (role, viewer), target in itertools.product(every_state.items(), every_state.values()):
        if not target.is_authenticated:
            continue
        context = context_for(viewer)
        variables = {"id": to_base64("UserPlus", target.pk)}
        read_path_answers.clear()
        fast = plus.execute_sync(document, variable_values=variables, context_value=context)
        assert read_path_answers == [True], (role, read_path_answers)
        with override_settings(GRAPHQL_FAST_READS=False):
            slow = plus.execute_sync(document, variable_values=variables, context_value=context)
        assert fast.errors is None and slow.errors is None
        assert json.dumps(fast.data) == json.dumps(slow.data), (role, target.username)
        if fast.data["user"] is not None:
            assert fast.data["user"]["isActive"] == target.is_active


@node_type(models.User, name="TwoRules")
class TwoRules(relay.Node):
    username: str
    first_name: str | None = private_field(
        "first_name", may_see=can_see_private_fields_of, description="Theirs and staff's."
    )
    last_name: str | None = private_field(
        "last_name", may_see=lambda viewer, user: viewer.is_staff, description="Staff's."
    )


@strawberry.type
class TwoRulesQuery:
    user: TwoRules | None = strawberry_django.node()


def test_private_fields_under_two_rules_leave_the_second_to_the_executor(every_state):
    built = throwaway_schema(TwoRulesQuery)
    entry = index_of(built._schema).types["TwoRules"]
    assert entry.columns["firstName"].private
    assert entry.unsupported == {
        "lastName": "private under another rule than the type's other fields"
    }
    student = every_state["student"]
    answer = built.execute_sync(
        "query($id: ID!) { user(id: $id) { username firstName lastName } }",
        variable_values={"id": to_base64("TwoRules", student.pk)},
        context_value=context_for(student),
    )
    assert answer.errors is None
    assert answer.data["user"] == {
        "username": student.username, "firstName": student.first_name, "lastName": None,
    }  # fmt: skip
