"""The library internals the API relies on (graphql_api/library_internals.py): each still where
it was and of the shape used, checked against the installed libraries, one test per name, so an
upgrade that changes one fails the test naming it; and no other module reaches one."""

import ast
import dataclasses
import importlib
import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest
import strawberry
import strawberry_django
from django.db import connection
from django.db.models import Value
from django.http import HttpResponse
from graphql import GraphQLSchema, OperationType, parse

from graphql_api import library_internals as internals
from learningplatform import library_internals as domain_internals
from learningplatform.models import Course, Task

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(internals.INTERNALS))
def test_each_internal_is_where_the_api_imports_it_from(name):
    module, _, original = internals.INTERNALS[name].partition(":")
    assert getattr(importlib.import_module(module), original or name) is getattr(internals, name)


def test_no_other_module_imports_them():
    offenders = []
    for path in (ROOT / "graphql_api").rglob("*.py"):
        if path.name == "library_internals.py":
            continue
        text = path.read_text()
        for name, where in internals.INTERNALS.items():
            module, _, original = where.partition(":")
            pattern = rf"^from {re.escape(module)} import (\([^)]*\)|.*)$"
            for imported in re.findall(pattern, text, re.MULTILINE):
                if re.search(rf"\b{original or name}\b", imported):
                    offenders.append(f"{path.relative_to(ROOT)}: {module}.{name}")
    assert offenders == []


def test_the_libraries_are_pinned_to_the_tested_minor_versions():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for package in ("strawberry-graphql", "strawberry-graphql-django", "graphql-core",
                    "prometheus-client", "Django"):  # fmt: skip
        (pin,) = [p for p in pins if re.match(rf"{package}[><=]", p)]
        low = re.search(r">=([\d.]+)", pin).group(1)
        installed = version(package)
        assert installed.split(".")[:2] == low.split(".")[:2], (package, installed, pin)


def defined_at(dotted: str):
    """The object at a dotted path: a module, then attributes (a class, then its method)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(dotted)


@pytest.mark.parametrize("dotted", sorted(internals.METHODS))
def test_each_method_takes_what_it_took(dotted):
    parameters = tuple(inspect.signature(defined_at(dotted)).parameters)
    assert parameters == internals.METHODS[dotted]


# --- Each attribute, probed through the function that reaches it.


def probe_graphql_schema(schema):
    graphql_schema = internals.graphql_schema_of(schema)
    assert isinstance(graphql_schema, GraphQLSchema) and "Query" in graphql_schema.type_map
    assert internals.strawberry_schema_of(graphql_schema) is schema


def probe_info(schema):
    raw = SimpleNamespace(field_name="title")
    info = internals.info_of(raw, None)
    assert [f.name for f in dataclasses.fields(info)] == ["_raw_info", "_field"]
    assert info.field_name == "title"  # read from the resolve info it was given
    assert internals.raw_info_of(info) is raw and internals.raw_info_of(raw) is raw
    field = object()
    assert internals.field_of(internals.info_of(raw, field)) is field


def probe_fetched(schema):
    rows = Task.objects.none()
    assert not internals.fetched(rows)
    list(rows)
    assert internals.fetched(rows)


def probe_operation_name(schema):
    from strawberry.types.execution import ExecutionContext

    query = "query First { __typename } query Second { __typename }"
    for sent in (None, "Second"):
        context = ExecutionContext(query, schema, {OperationType.QUERY}, provided_operation_name=sent)  # fmt: skip
        context.graphql_document = parse(query)
        assert internals.provided_operation_name(context) == sent
        assert context.operation_name == (sent or "First")  # why the sent one is read


def probe_annotations(schema):
    @strawberry_django.type(Course, name="AnnotatedProbe")
    class AnnotatedProbe:
        @strawberry_django.field(annotate={"probe_one": Value(1)})
        def one(self) -> int:
            return self.probe_one

        title: strawberry.auto

    fields = {f.name: f for f in AnnotatedProbe.__strawberry_definition__.fields}
    assert list(internals.annotations_of(fields["one"])) == ["probe_one"]
    assert internals.annotations_of(fields["title"]) == {}


def probe_related_page(schema):
    from strawberry_django.pagination import StrawberryDjangoPagination

    assert StrawberryDjangoPagination in internals.StrawberryDjangoField.__mro__
    parameters = inspect.signature(StrawberryDjangoPagination.get_queryset).parameters
    assert "_strawberry_related_field_id" in parameters


def probe_own_page_limit(schema):
    courses = next(f for f in schema.get_type_by_name("Query").fields if f.python_name == "courses")
    assert internals.own_page_limit(courses) is None  # none of its own: the setting's


def probe_execution_context(schema, monkeypatch, rf):
    from graphql_api.readpath.execution import ReadPathExecutionContext

    seen = {}

    def read(self, *args):
        seen.update(
            variables=internals.coerced_variables(self),
            middlewares=internals.resolve_middlewares(self),
            replaced=internals.variables_coerced_as(self.variable_values, {"b": True}),
        )
        return None  # the executor answers

    monkeypatch.setattr(ReadPathExecutionContext, "read", read)
    request = rf.post("/graphql/")
    request.user = SimpleNamespace(is_authenticated=False)
    result = schema.execute_sync(
        "query Q($a: Boolean! = true, $b: Boolean!) { __typename @include(if: $a) @skip(if: $b) }",
        variable_values={"b": False},
        context_value=SimpleNamespace(request=request, response=None),
    )  # fmt: skip
    assert result.errors is None
    assert result.data == {"__typename": "Query"}
    assert seen["variables"] == {"a": True, "b": False} and not seen["middlewares"]
    assert seen["replaced"].coerced == {"b": True}


def probe_selected_converters(schema):
    rows = Task.objects.values_list("pk", "deadline", "max_score").order_by("-created_at", "pk")
    compiler = rows.query.get_compiler("default")
    compiler.as_sql()
    converters, kept, outputs = internals.selected_converters(compiler, 3)
    assert set(converters) <= {0, 1, 2} and kept in (None, 3)
    assert [output.name for output in outputs] == ["id", "deadline", "max_score"]
    for functions, expression in converters.values():
        assert all(callable(function) for function in functions) and expression is not None


def probe_compilers_wrapped(schema):
    ops = connection.ops
    original = ops.compiler("SQLCompiler")

    def wrap(compiler):
        return type("Wrapped", (compiler,), {})

    with internals.compilers_wrapped(connection, wrap):
        assert ops.compiler("SQLCompiler").__mro__[1] is original
    assert ops.compiler("SQLCompiler") is original and "compiler" not in vars(ops)


def probe_csrf(schema, rf):
    def refused(request, reason):
        return HttpResponse(reason, status=499)

    check = internals.csrf_check_answered_by(refused)
    request = rf.post("/graphql/", {}, content_type="application/json")
    response = check.process_view(request, None, (), {})
    assert response.status_code == 499 and b"CSRF" in response.content


def probe_histogram(schema):
    from prometheus_client import CollectorRegistry, Histogram

    histogram = Histogram("probe", "", ["x"], buckets=(1, 2), registry=CollectorRegistry())
    child = histogram.labels("a")
    internals.histogram_add(child, 7.5, [1, 0, 3])  # buckets 1, 2 and +Inf
    child.observe(1.5)
    samples = {(s.name, s.labels.get("le")): s.value for s in histogram.collect()[0].samples}
    assert samples[("probe_bucket", "1.0")] == 1
    assert samples[("probe_bucket", "2.0")] == 2  # cumulative
    assert samples[("probe_bucket", "+Inf")] == 5
    assert samples[("probe_sum", None)] == 9.0
    assert samples[("probe_count", None)] == 5


PROBES = {
    "strawberry.Schema._schema": probe_graphql_schema,
    "graphql.GraphQLSchema._strawberry_schema": probe_graphql_schema,
    "strawberry.Info(_raw_info=, _field=)": probe_info,
    "strawberry.Info._raw_info": probe_info,
    "strawberry.Info._field": probe_info,
    "django QuerySet._result_cache": probe_fetched,
    "strawberry.types.execution.ExecutionContext._provided_operation_name": probe_operation_name,
    "StrawberryDjangoField.store.annotate": probe_annotations,
    "StrawberryDjangoField.get_queryset(_strawberry_related_field_id=)": probe_related_page,
    "StrawberryDjangoConnectionExtension.max_results": probe_own_page_limit,
    "graphql ExecutionContext.variable_values.coerced": probe_execution_context,
    "graphql VariableValues._replace(coerced=)": probe_execution_context,
    "graphql ExecutionContext.middleware_manager.middlewares": probe_execution_context,
    "django SQLCompiler.select, .col_count, .has_extra_select": probe_selected_converters,
    "django DatabaseOperations.compiler (swapped per connection)": probe_compilers_wrapped,
    "django CsrfViewMiddleware._reject": probe_csrf,
    "prometheus_client Histogram child ._sum, ._buckets": probe_histogram,
}


def test_every_attribute_listed_has_a_probe_and_a_function():
    assert set(PROBES) == set(internals.ATTRIBUTES)
    for reached_by in internals.ATTRIBUTES.values():
        assert hasattr(internals, reached_by), reached_by


@pytest.mark.parametrize("attribute", sorted(internals.ATTRIBUTES))
def test_each_attribute_is_still_there_and_of_its_shape(attribute, monkeypatch, rf):
    from config.schema import schema

    probe = PROBES[attribute]
    wanted = inspect.signature(probe).parameters
    probe(
        schema, **{k: v for k, v in {"monkeypatch": monkeypatch, "rf": rf}.items() if k in wanted}
    )


# --- Nothing else reaches a library's private name.

# Django documents these underscore names as its models' API (Model._meta, _default_manager,
# _base_manager, _state).
DOCUMENTED = frozenset({"_meta", "_default_manager", "_base_manager", "_state"})
# The project's own underscore names, which no library defines.
OWN = {
    "_keyset_value": "graphql_api/connections.py: the keyset column, annotated as itself",
    "_replica_wal_lsn": "learningplatform/replicas.py: the session key of the client's last write",
    "_totals_of_": "graphql_api/nested.py: where a parent keeps a nested list's prefetched totals",
}
OVERRIDDEN = frozenset(
    dotted.rsplit(".", 1)[1]
    for dotted in internals.METHODS | domain_internals.METHODS
    if dotted.rsplit(".", 1)[1].startswith("_")
)
PACKAGES = ("learningplatform", "graphql_api", "config", "legacy_shim")


def private_names(source: str) -> list[tuple[int, str]]:
    """(line, what) for every private name a module reaches of something not its own."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = node.value
            if node.attr.startswith("__") or node.attr in DOCUMENTED | set(OWN):
                continue
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
                if node.attr in OVERRIDDEN:
                    continue
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append((node.lineno, f"from {node.module}"))
        elif isinstance(node, ast.keyword) and (node.arg or "").startswith("_"):
            if node.arg not in OWN:
                found.append((node.lineno, f"{node.arg}="))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
            if re.fullmatch(r"_[a-z]\w*", name) and name not in OWN and name not in DOCUMENTED:
                found.append((node.lineno, repr(name)))
    return found


def test_no_module_reaches_a_library_private_name_but_through_the_internals_modules():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "library_internals.py" or "migrations" in path.parts:
                continue
            for line, what in private_names(path.read_text()):
                offenders.append(f"{path.relative_to(ROOT)}:{line} {what}")
    assert offenders == []


def test_the_check_sees_each_way_of_reaching_a_private_name():
    source = (
        "from psycopg_binary._psycopg import Loader\n"
        "schema._schema\n"
        "Info(_raw_info=raw)\n"
        "user.__dict__.pop('_perm_cache')\n"
        "self._mine\n"
        "course._meta.pk\n"
        "super()._process_errors(errors)\n"
        "super()._private_helper()\n"
    )
    assert [line for line, _ in private_names(source)] == [1, 2, 3, 4, 8]


# The modules the libraries document (their guides import from these); a name a documented
# module exports may be imported from wherever it is defined.
DOCUMENTED_MODULES = (
    "graphql", "graphql.language", "graphql.execution", "strawberry", "strawberry.types",
    "strawberry.relay", "strawberry.extensions", "strawberry.tools", "strawberry.schema.config",
    "strawberry.django.views", "strawberry.django.context", "strawberry_django",
    "strawberry_django.relay", "strawberry_django.optimizer",
)  # fmt: skip


def test_no_module_imports_from_an_undocumented_library_module_but_the_internals_modules():
    """Anything else is declared in graphql_api/library_internals.py (INTERNALS) and imported
    from there."""
    exported = {name: set(dir(importlib.import_module(name))) for name in DOCUMENTED_MODULES}
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "library_internals.py" or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                    continue
                top = node.module.split(".")[0]
                if top not in ("graphql", "strawberry", "strawberry_django"):
                    continue
                for alias in node.names:
                    if node.module in DOCUMENTED_MODULES or any(
                        alias.name in exported[m] for m in DOCUMENTED_MODULES
                        if m.split(".")[0] == top
                    ):  # fmt: skip
                        continue
                    offenders.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}"
                    )
    assert offenders == []
