"""The package as `pip install .` ships it: a wheel installed into a fresh environment outside
the checkout serves GraphiQL's files and passes Django's deploy check."""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.helpers import PRODUCTION, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtual environment with only the wheel installed; dependencies are read from the
    project's environment (a path line, so its editable install of this checkout is not)."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the project's files, so the build leaves nothing in the checkout.
    source = work / "source"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(work), str(source)],
        capture_output=True, text=True, cwd=work,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = work.glob("learningplatform_api-*.whl")
    environment = work / "env"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    project_site = next(p for p in sys.path if p.endswith("site-packages"))
    Path(site, "dependencies.pth").write_text(project_site + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return environment


def run(environment: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= PRODUCTION | {"DATABASE_URL": f"sqlite:///{cwd}/db.sqlite3", "DATA_DIR": str(cwd)}
    return subprocess.run(
        [environment / "bin" / "learningplatform-manage", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_wheel_ships_graphiql_and_is_deploy_clean(installed, tmp_path):
    located = subprocess.run(
        [installed / "bin" / "python", "-c",
         "import graphql_api, pathlib; print(pathlib.Path(graphql_api.__file__).parent)"],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    ).stdout.strip()  # fmt: skip
    package = Path(located)
    assert str(ROOT) not in located  # the installed copy, not the checkout
    for shipped in (
        "templates/graphql_api/graphiql.html",
        "static/graphiql/graphiql.min.js",
        "static/graphiql/graphiql.min.css",
        "static/graphiql/react.production.min.js",
        "static/graphiql/react-dom.production.min.js",
    ):
        assert (package / shipped).is_file(), shipped
    trusted = run(installed, "trusted_documents", cwd=tmp_path)  # read from the installed copy
    assert trusted.returncode == 0, trusted.stderr
    assert "course_catalogue" in trusted.stdout and "sha256:" in trusted.stdout
    check = run(installed, "check", "--deploy", "--fail-level", "WARNING", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    collected = run(installed, "collectstatic", "--noinput", cwd=tmp_path)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "graphiql" / "graphiql.min.js").is_file()
