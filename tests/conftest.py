"""Fixtures shared by the whole suite."""

import pytest

from tests.factories import CourseFactory, InstructorFactory, StaffFactory, TaskFactory, UserFactory


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
