"""The cost limit: documents that could return too many objects are refused before any SQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import get_named_type, parse

from config.schema import schema
from graphql_api.cost import document_cost
from tests.helpers import document, errors_of, gql, post

pytestmark = pytest.mark.django_db

NESTED = (
    "tasks(first:100){edges{node{course{tasks(first:100){edges{node{id title description}}}}}}}"
)
VARIABLE_PAGE = """query($n: Int) {
  courses(first: $n) { edges { node { id tasks(first: 100) { edges { node { id } } } } } }
}"""


def cost(query: str, variables: dict | None = None) -> int:
    return document_cost(schema._schema, parse(query), None, variables or {})


class TestEstimate:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [("course_catalogue", 440), ("course_detail", 102), ("instructor_dashboard", 101)],
    )
    def test_frontend_documents_cost_well_under_the_default(self, name, expected, settings):
        assert cost(document(name), {"first": 20}) == expected
        assert expected <= settings.GRAPHQL_MAX_COST / 2

    def test_pages_multiply_down_the_nesting_and_add_up_over_aliases(self):
        one = cost("{ " + NESTED + " }")
        assert one == 100 + 100 + 100 * 100  # tasks, their courses, each course's tasks
        aliased = " ".join(f"a{n}: {NESTED}" for n in range(14))
        assert cost("{ " + aliased + " }") == 14 * one

    def test_fragments_count_where_they_are_spread(self):
        query = "{ a: courses(first: 10) { ...C } b: courses(first: 10) { ...C } }" + (
            " fragment C on CourseConnection { edges { node { tasks(first: 5) { edges { node"
            " { id } } } } } }"
        )
        assert cost(query) == 2 * (10 + 10 * 5)

    def test_a_list_without_first_costs_a_full_page(self, settings):
        assert cost("{ courses { edges { node { id } } } }") == settings.GRAPHQL_MAX_PAGE_SIZE

    def test_variables_count_with_their_values(self):
        assert cost(VARIABLE_PAGE, {"n": 5}) == 5 + 500
        assert cost(VARIABLE_PAGE, {"n": 20}) == 20 + 2000


def root_connections() -> list[str]:
    query = schema._schema.query_type
    return sorted(
        name for name, field in query.fields.items()
        if "edges" in getattr(get_named_type(field.type), "fields", {})
    )  # fmt: skip


class TestCountOnlyConnections:
    """Issue 22: a connection that selects no edges returns one count per parent, not a page."""

    def test_the_reported_document_costs_what_it_returns(self):
        query = "{ courses(first: 100) { edges { node { tasks { totalCount } } } } }"
        assert cost(query) == 100 + 100  # 100 courses and 100 counts, not 100 x 100 tasks

    @pytest.mark.parametrize("field", root_connections())
    @pytest.mark.parametrize("page", ["", "(first: 7)", "(last: 7)"])
    def test_every_root_connection_costs_one_without_edges(self, field, page):
        assert cost(f"{{ {field}{page} {{ totalCount }} }}") == 1
        assert cost(f"{{ {field}{page} {{ totalCount pageInfo {{ hasNextPage }} }} }}") == 1
        assert cost(f"{{ {field}{page} {{ __typename }} }}") == 1

    @pytest.mark.parametrize("field", root_connections())
    def test_edges_anywhere_in_the_selection_cost_a_page(self, field, settings):
        connection = get_named_type(schema._schema.query_type.fields[field].type).name
        page = 7
        for selection in [
            "edges { cursor }",
            f"... on {connection} {{ edges {{ cursor }} }}",
            "...F",
            "totalCount ...G",
        ]:
            fragments = (
                f" fragment F on {connection} {{ edges {{ cursor }} }}"
                f" fragment G on {connection} {{ ... on {connection} {{ ...F }} }}"
            )
            assert cost(f"{{ {field}(first: {page}) {{ {selection} }} }}" + fragments) == page

    def test_nested_counts_cost_one_per_parent_at_every_depth(self):
        query = (
            "{ tasks(first: 10) { edges { node { course { tasks(first: 50) { totalCount } } } } } }"
        )
        assert cost(query) == 10 + 10 + 10  # tasks, their courses, one count each

    def test_a_count_of_every_course_of_a_full_page_is_allowed(self, client):
        body = post(client, "{ courses(first: 100) { edges { node { tasks { totalCount } } } } }")
        assert "errors" not in body, body


class TestLimit:
    def test_the_aliased_nesting_of_the_report_is_refused_before_any_sql(self, client):
        aliased = " ".join(f"a{n}: {NESTED}" for n in range(14))
        with CaptureQueriesContext(connection) as captured:
            body = post(client, "{ " + aliased + " }")
        assert body["errors"] == [
            {
                "message": "This request could return 142,800 objects; the limit is 1,000. "
                "Ask for smaller pages (first/last) or fewer nested lists.",
                "extensions": {"code": "TOO_COSTLY"},
            }
        ]
        assert "data" not in body  # refused before execution: no data entry (the GraphQL spec)
        assert captured.captured_queries == []

    def test_staff_cannot_pull_every_submission_either(self, as_user, staff):
        query = "{ " + " ".join(
            f"a{n}: tasks(first: 100) {{ edges {{ node {{ submissions(first: 100) {{ edges {{ node {{ id content }} }} }} }} }} }}"
            for n in range(3)
        ) + " }"  # fmt: skip
        body = post(as_user(staff), query)
        assert errors_of(body)[0].startswith("This request could return 30,300 objects")

    def test_variables_decide(self, client):
        assert gql(client, VARIABLE_PAGE, {"n": 5}) == {"courses": {"edges": []}}
        body = post(client, VARIABLE_PAGE, {"n": 20})
        assert errors_of(body)[0].startswith("This request could return 2,020 objects")

    def test_the_limit_is_configurable(self, client, settings):
        settings.GRAPHQL_MAX_COST = 400
        body = post(client, document("course_catalogue"), {"first": 20})
        assert errors_of(body)[0] == (
            "This request could return 440 objects; the limit is 400. "
            "Ask for smaller pages (first/last) or fewer nested lists."
        )
        settings.GRAPHQL_MAX_COST = 440
        assert "errors" not in post(client, document("course_catalogue"), {"first": 20})


class TestSearch:
    def test_is_bounded_with_a_field_error(self, client):
        # In a variable: written into the document, 16,000 characters are over the document bound.
        query = "query($s: String) { tasks(first: 1, filter: {search: $s}) { totalCount } }"
        body = post(client, query, {"s": "x" * 16_000})
        assert body["errors"][0]["extensions"]["fields"] == [
            {
                "field": "search",
                "message": "Ensure this value has at most 200 characters (it has 16000).",
                "code": "INVALID",
            }
        ]

    def test_200_characters_are_fine(self, client):
        query = '{ courses(filter: {search: "%s"}) { totalCount } }' % ("x" * 200)
        assert gql(client, query) == {"courses": {"totalCount": 0}}
