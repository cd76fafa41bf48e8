"""The library internals the domain relies on (learningplatform/library_internals.py): each
still where it was and of the shape used, against the installed Django and psycopg."""

import importlib
import inspect

import pytest
from django.contrib.auth.models import Group, Permission

from learningplatform import library_internals as internals
from tests.factories import UserFactory


@pytest.mark.parametrize("name", sorted(internals.INTERNALS))
def test_each_internal_is_where_the_domain_imports_it_from(name):
    module, _, attribute = internals.INTERNALS[name].rpartition(".")
    assert getattr(importlib.import_module(module), attribute) is getattr(internals, name)


@pytest.mark.parametrize("dotted", sorted(internals.METHODS))
def test_each_method_overridden_takes_what_it_took(dotted):
    module, owner, method = dotted.rsplit(".", 2)
    defined = getattr(getattr(importlib.import_module(module), owner), method)
    assert tuple(inspect.signature(defined).parameters) == internals.METHODS[dotted]


def test_every_attribute_listed_has_its_function():
    assert set(internals.ATTRIBUTES) == {
        "django ModelBackend's permission caches on a user: _perm_cache, _group_perm_cache"
    }
    for reached_by in internals.ATTRIBUTES.values():
        assert hasattr(internals, reached_by)


@pytest.mark.django_db
def test_the_permission_caches_are_where_django_keeps_them_and_forgetting_them_counts():
    user = UserFactory()
    group = Group.objects.create(name="probe")
    group.permissions.add(Permission.objects.get(codename="add_course"))
    assert not user.has_perm("learningplatform.add_course")
    assert user.get_group_permissions() == set()
    assert set(internals.PERMISSION_CACHES) <= set(vars(user))  # what Django cached
    user.groups.add(group)
    assert not user.has_perm("learningplatform.add_course")  # still the cached answer
    internals.forget_cached_permissions(user)
    assert set(internals.PERMISSION_CACHES).isdisjoint(vars(user))
    assert user.has_perm("learningplatform.add_course")
