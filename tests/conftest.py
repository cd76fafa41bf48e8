"""Fixtures shared by the whole suite."""

import time

import pytest
from django.test import Client

from graphql_api.bounded import RECORDERS
from graphql_api.readpath.cache import clear_plans
from tests.factories import CourseFactory, InstructorFactory, StaffFactory, TaskFactory, UserFactory


@pytest.fixture(autouse=True)
def fresh_plans():
    """Each test plans its documents afresh: a kept plan would not see code a test replaces."""
    clear_plans()


@pytest.fixture(autouse=True)
def no_record_falls_due():
    """No usage or fallback record falls due during a test (they are written once a minute,
    after some request's response): a test counting its statements counts its own. Tests of
    the writes make them due themselves."""
    for recorder in RECORDERS:
        recorder.flushed_at = time.monotonic()


@pytest.fixture
def student(db):
    return UserFactory()


@pytest.fixture
def instructor(db):
    return InstructorFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def course(instructor):
    return CourseFactory(instructor=instructor)


@pytest.fixture
def task(course):
    return TaskFactory(course=course)


@pytest.fixture
def development(settings):
    """DEBUG on, as on a developer's machine (the demo data set needs it)."""
    settings.DEBUG = True


@pytest.fixture
def as_user(db):
    """A client logged in as the given user (None: anonymous)."""

    def login(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return login
