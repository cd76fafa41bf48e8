"""Dependencies point down: learningplatform (the domain) <- graphql_api (the API) <- config (the
composition root) <- legacy_shim (temporary, plugs in from outside). A test, so the rule outlives
the change that set it: each package imports only the packages below it."""

import ast

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
