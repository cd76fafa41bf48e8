"""The library internals the read path relies on: still where they were, and reached from one
module only (graphql_api/readpath/internals.py), with the versions pinned to what is tested."""

import importlib
import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from graphql_api.readpath import internals

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(internals.INTERNALS))
def test_each_internal_is_where_the_read_path_imports_it_from(name):
    module = importlib.import_module(internals.INTERNALS[name])
    assert getattr(module, name) is getattr(internals, name)


def test_no_other_module_imports_them():
    offenders = []
    for path in (ROOT / "graphql_api").rglob("*.py"):
        if path.name == "internals.py":
            continue
        text = path.read_text()
        for name, module in internals.INTERNALS.items():
            pattern = rf"^from {re.escape(module)} import (\([^)]*\)|.*)$"
            for imported in re.findall(pattern, text, re.MULTILINE):
                if re.search(rf"\b{name}\b", imported):
                    offenders.append(f"{path.relative_to(ROOT)}: {module}.{name}")
    assert offenders == []


def test_the_libraries_are_pinned_to_the_tested_minor_versions():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for package in ("strawberry-graphql", "strawberry-graphql-django", "graphql-core",
                    "prometheus-client"):  # fmt: skip
        (pin,) = [p for p in pins if re.match(rf"{package}[><=]", p)]
        low = re.search(r">=([\d.]+)", pin).group(1)
        installed = version(package)
        assert installed.split(".")[:2] == low.split(".")[:2], (package, installed, pin)


@pytest.mark.parametrize("name", sorted(internals.OVERRIDDEN_VIEW_METHODS))
def test_the_view_methods_overridden_take_what_they_took(name):
    from strawberry.django.views import GraphQLView

    parameters = tuple(inspect.signature(getattr(GraphQLView, name)).parameters)
    assert parameters == internals.OVERRIDDEN_VIEW_METHODS[name]


@pytest.mark.parametrize("name", sorted(internals.OVERRIDDEN_FIELD_METHODS))
def test_the_field_methods_overridden_take_what_they_took(name):
    parameters = tuple(inspect.signature(getattr(internals.StrawberryDjangoField, name)).parameters)
    assert parameters == internals.OVERRIDDEN_FIELD_METHODS[name]


def test_the_query_methods_overridden_take_what_they_took():
    from django.db.models.sql import Query

    for name, expected in internals.OVERRIDDEN_QUERY_METHODS.items():
        assert tuple(inspect.signature(getattr(Query, name)).parameters) == expected


def test_a_prefetch_still_filters_its_rows_by_their_parents_through_add_q():
    """What NestedPageQuery.add_q takes its parents from (graphql_api/connections.py)."""
    from django.db.models.fields import related_descriptors

    source = inspect.getsource(related_descriptors._filter_prefetch_queryset)
    assert 'Q(**{f"{field_name}__in": instances})' in source
    assert "queryset.query.add_q(predicate" in source


def test_a_histogram_child_still_holds_the_values_histogram_add_increments():
    from prometheus_client import CollectorRegistry, Histogram

    histogram = Histogram("probe", "", ["x"], buckets=(1, 2), registry=CollectorRegistry())
    child = histogram.labels("a")
    for name in internals.HISTOGRAM_VALUES:
        assert hasattr(child, name), name
    internals.histogram_add(child, 7.5, [1, 0, 3])  # buckets 1, 2 and +Inf
    child.observe(1.5)
    samples = {(s.name, s.labels.get("le")): s.value for s in histogram.collect()[0].samples}
    assert samples[("probe_bucket", "1.0")] == 1
    assert samples[("probe_bucket", "2.0")] == 2  # cumulative
    assert samples[("probe_bucket", "+Inf")] == 5
    assert samples[("probe_sum", None)] == 9.0
    assert samples[("probe_count", None)] == 5
