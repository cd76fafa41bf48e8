"""A client's mistake is logged as one INFO line without a traceback; an unexpected error keeps
its traceback at ERROR; nothing a client sends can break the log."""

import logging

import pytest

from tests.helpers import post

pytestmark = pytest.mark.django_db


def records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "graphql_api.errors"]


@pytest.mark.parametrize(
    "query",
    [
        "{ courses(first: 101) { totalCount } }",  # a page over the limit
        "{ courses { nope } }",  # a field that does not exist
        '{ course(id: "Q291cnNlOjE=") { title } ',  # a syntax error
        '{ courses(filter: {search: "x\\ud800"}) { totalCount } }',  # a lone surrogate
    ],
)
def test_client_errors_are_one_info_line_without_traceback(client, caplog, query):
    caplog.set_level(logging.INFO, logger="graphql_api.errors")
    body = post(client, query)
    assert body["errors"]
    (record,) = records(caplog)
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    assert "\n" not in record.getMessage()
    record.getMessage().encode("utf-8")  # always encodable, whatever the client sent


def test_unexpected_errors_keep_their_traceback(client, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="graphql_api.errors")

    def broken(*args, **kwargs):
        raise RuntimeError("the database melted")

    monkeypatch.setattr("graphql_api.course.types.courses_visible_to", broken)
    body = post(client, "{ courses { totalCount } }")
    assert body["errors"][0]["message"] == "Unexpected error."
    (record,) = records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info and "the database melted" in str(record.exc_info[1])
