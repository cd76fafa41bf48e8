"""Helpers for talking to /graphql/ the way a client does: JSON over HTTP."""

import pytest

from graphql_api.readpath import execution
from graphql_api.readpath.fallbacks import Fallback
from tests.factories import InstructorFactory


@pytest.fixture
def other_instructor(db):
    return InstructorFactory()


@pytest.fixture
def no_cost_limit(settings):
    """No cost limit, for tests of other things that send large documents."""
    settings.GRAPHQL_MAX_COST = 10**9


@pytest.fixture
def trusted_only(settings):
    """Production: trusted documents only, no GraphiQL, no DEBUG."""
    settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY = True
    settings.GRAPHIQL = False
    settings.DEBUG = False
    return settings


@pytest.fixture
def read_path_answers(monkeypatch):
    """What the read path did with each document since: True (answered) or its fallback reason."""
    answers = []
    original = execution.read_document

    def read_document(*args):
        try:
            data = original(*args)
        except Fallback as fallback:
            answers.append(fallback.reason)
            raise
        answers.append(True)
        return data

    monkeypatch.setattr(execution, "read_document", read_document)
    return answers
