"""Helpers for talking to /graphql/ the way a client does: JSON over HTTP."""

import pytest

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
