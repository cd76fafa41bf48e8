"""Dependencies point down: learningplatform (the domain) <- graphql_api (the API) <- config (the
composition root) <- legacy_shim (temporary, plugs in from outside). A test, so the rule outlives
the change that set it: each package imports only the packages below it. Inside graphql_api no
module and no subpackage imports itself back through others (no import circle), but for the
stated exception: the four types modules, whose types refer to each other lazily."""

import ast
from collections import defaultdict

import pytest

from tests.helpers import ROOT

LAYERS = ["learningplatform", "graphql_api", "config", "legacy_shim"]
PROJECT = set(LAYERS)


def imports_of(package: str, root=ROOT) -> list[tuple[str, int, str]]:
    """(file, line, imported project package) for every import in the package's code."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in PROJECT and top != package:
                    found.append((str(path.relative_to(root)), node.lineno, top))
    return found


@pytest.mark.parametrize("package", LAYERS)
def test_each_package_imports_only_the_packages_below_it(package):
    below = set(LAYERS[: LAYERS.index(package)])
    upward = [f"{file}:{line} imports {top}" for file, line, top in imports_of(package)
              if top not in below]  # fmt: skip
    assert upward == []


def test_the_check_sees_every_kind_of_import(tmp_path):
    package = tmp_path / "learningplatform"
    package.mkdir()
    (package / "late.py").write_text(
        "import os\nimport graphql_api.schema\n\n"
        "def later():\n    from config.schema import schema\n    return schema\n"
    )
    assert imports_of("learningplatform", root=tmp_path) == [
        ("learningplatform/late.py", 2, "graphql_api"),
        ("learningplatform/late.py", 5, "config"),
    ]


def test_no_test_module_imports_another():
    """Shared test helpers live in tests/helpers.py (and fixtures in conftest.py files)."""
    borrowed = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("tests.")
            ):
                last = node.module.rsplit(".", 1)[-1]
                if last.startswith("test_") or last == "conftest":
                    borrowed.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert borrowed == []


# Course, task, user and submission types refer to each other (a course's tasks, a task's
# course); Strawberry resolves those references lazily, once every module is loaded.
LAZY_TYPE_REFERENCES = frozenset(
    f"graphql_api.{domain}.types" for domain in ("course", "task", "user", "submission")
)


def module_graph(package: str, root=ROOT) -> dict[str, set[str]]:
    """Each module of the package (a package by its __init__'s name) -> the package's modules it
    imports, at the top or inside a function alike."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph = {}
    for name, (path, is_package) in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package, up level - 1 packages
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for found in names:
                while found and found not in modules:  # an attribute of a module: the module
                    found = found.rpartition(".")[0]
                if found and found != name:
                    imported.add(found)
        graph[name] = imported
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan's algorithm), sorted."""
    order, lowest, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        order[node] = lowest[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in order:
                visit(other)
                lowest[node] = min(lowest[node], lowest[other])
            elif other in on_stack:
                lowest[node] = min(lowest[node], order[other])
        if lowest[node] == order[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return sorted(found)


def without_lazy_references(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: {other for other in imported
               if not (name in LAZY_TYPE_REFERENCES and other in LAZY_TYPE_REFERENCES)}
        for name, imported in graph.items()
    }  # fmt: skip


def by_subpackage(graph: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    """The graph with each subpackage of `package` (graphql_api.readpath, ...) one node."""

    def node(name: str) -> str:
        parts = name.split(".")
        inside = len(parts) > 2 and f"{parts[0]}.{parts[1]}" in graph
        return f"{parts[0]}.{parts[1]}" if inside and parts[0] == package else name

    merged = defaultdict(set)
    for name, imported in graph.items():
        merged[node(name)] |= {node(other) for other in imported} - {node(name)}
    return dict(merged)


def test_no_module_of_the_api_imports_itself_back_but_the_types_lazy_references():
    graph = module_graph("graphql_api")
    assert circles(graph) == [sorted(LAZY_TYPE_REFERENCES)]  # the stated exception, and no more
    assert circles(without_lazy_references(graph)) == []


def test_no_subpackage_of_the_api_imports_itself_back():
    """A package (the read path, observability, a domain) is not imported back by what it
    imports: connections.py importing the read path's internals while the read path imports
    connections was such a circle."""
    graph = by_subpackage(without_lazy_references(module_graph("graphql_api")), "graphql_api")
    assert circles(graph) == []


def test_the_circle_check_sees_circles_through_lazy_and_relative_imports(tmp_path):
    package = tmp_path / "graphql_api"
    (package / "readpath").mkdir(parents=True)
    for name in ("__init__.py", "readpath/__init__.py"):
        (package / name).write_text("")
    (package / "readpath" / "read.py").write_text("from graphql_api import connections\n")
    (package / "readpath" / "internals.py").write_text("X = 1\n")
    (package / "connections.py").write_text(
        "def later():\n    from .readpath.internals import X\n    return X\n"
    )
    (package / "limits.py").write_text("from graphql_api.trusted import refused\n")
    (package / "trusted.py").write_text("def cost():\n    from graphql_api import limits\n")
    graph = module_graph("graphql_api", root=tmp_path)
    assert circles(graph) == [["graphql_api.limits", "graphql_api.trusted"]]
    assert circles(by_subpackage(graph, "graphql_api")) == [
        ["graphql_api.connections", "graphql_api.readpath"],
        ["graphql_api.limits", "graphql_api.trusted"],
    ]
