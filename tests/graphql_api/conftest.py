"""Helpers for talking to /graphql/ the way a client does: JSON over HTTP."""

import pytest
from django.test import Client
from strawberry.relay import to_base64

from graphql_api.trusted_documents import DOCUMENTS
from tests.factories import InstructorFactory


def document(name: str) -> str:
    """A GraphQL document the frontend sends, kept as a .graphql file."""
    return (DOCUMENTS / f"{name}.graphql").read_text()


def global_id(obj) -> str:
    return to_base64(type(obj).__name__, obj.pk)


def post(client: Client, query: str, variables: dict | None = None, **extra) -> dict:
    """The whole JSON response of a GraphQL POST; fails on anything but HTTP 200."""
    response = client.post(
        "/graphql/", {"query": query, "variables": variables or {}},
        content_type="application/json", **extra,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()


def gql(client: Client, query: str, variables: dict | None = None) -> dict:
    """The data of a GraphQL response; fails loudly, showing the errors, if there are any."""
    body = post(client, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def errors_of(body: dict) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


@pytest.fixture
def other_instructor(db):
    return InstructorFactory()


@pytest.fixture
def no_cost_limit(settings):
    """No cost limit, for tests of other things that send large documents."""
    settings.GRAPHQL_MAX_COST = 10**9
