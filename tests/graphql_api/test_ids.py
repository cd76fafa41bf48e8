"""One id check (graphql_api/ids.py) on every path: the read path reads every primary key the
executor reads, up to the largest, and leaves the rest to the executor, which answers the same."""

import json

import pytest
from django.test import override_settings
from strawberry.relay import to_base64

from tests.factories import CourseFactory
from tests.helpers import post

pytestmark = pytest.mark.django_db

LARGEST = 2**63 - 1

BY_VARIABLE = "query($id: ID!) { course(id: $id) { id title } }"
BY_LITERAL = '{ course(id: "%s") { id title } }'


def both_ways(client, document: str, variables: dict | None = None) -> dict:
    answered = post(client, document, variables)
    with override_settings(GRAPHQL_FAST_READS=False):
        assert post(client, document, variables) == answered, (document, variables)
    return answered


@pytest.mark.parametrize(
    ("node_id", "read"),
    [
        (str(LARGEST), True),  # 19 digits, the largest primary key
        ("1" + "0" * 18, True),  # 19 digits
        ("9" * 18, True),
        (str(LARGEST + 1), False),  # past the primary key's range: INVALID_ID
        ("9" * 20, False),
        ("0" * 19 + "1", False),  # 20 characters
        ("-1", False),
        ("²", False),
    ],
)
def test_an_id_is_read_by_the_read_path_exactly_when_it_is_a_primary_key(
    as_user, read_path_answers, node_id, read
):
    course = CourseFactory(pk=LARGEST) if node_id == str(LARGEST) else CourseFactory()
    client = as_user(course.instructor)
    global_id = to_base64("Course", node_id)
    for document, variables in (
        (BY_VARIABLE, {"id": global_id}),
        (BY_LITERAL % global_id, None),
    ):
        read_path_answers.clear()
        answer = both_ways(client, document, variables)
        assert (read_path_answers == [True]) is read, (document, read_path_answers)
        if node_id == str(LARGEST):
            assert answer["data"]["course"]["title"] == course.title
        if not read:
            assert "Not a valid id" in json.dumps(answer["errors"])
