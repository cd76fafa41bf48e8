"""Whether the read path's three speed-ups still pay, in process: each switched off in turn.

- the row builders (graphql_api/readpath/rows.py): Python written for each plan's slots and
  compiled, one loop over the rows with each column read once; off, the same answers from a loop
  over the slots per row (`slot_by_slot`, below);
- the executor's column shortcut (`ReadPathExecutionContext.execute_field`,
  graphql_api/readpath/execution.py): a column field of a model instance answered at once; off,
  every field goes through GraphQL's `execute_field` and Strawberry's resolver layers;
- an object's nested lists read in its own statement (graphql_api/readpath/fold.py, PostgreSQL):
  off ("unfolded"), one statement per level, as the rest of the read path reads.

The benchmark's shapes (bench/api_queries.py; docs/performance.md), answered through Django's
whole stack by the test client in alternating blocks of each setting, against
bench/api.py's data set: the headline (nested 100 x 20) and small reads by the read path, the
same two by the executor (the read path declining them, as it declines a document it does not
plan: the column shortcut is on only while the read path is, so the kill switch would switch it
off too), and `updateTask` by its instructor (a mutation: always the executor). Figures: CPU time per
request of this process (the database's is another process's, the same in every setting), the
median over blocks, and each setting's cost against the shipped one (above 1: slower without).

    BENCH_API_DATABASE=lp_bench_api .venv/bin/python bench/readpath_switches.py
    .venv/bin/python bench/readpath_switches.py --blocks 3 --seconds 0.5   # a quick look
"""

import argparse
import binascii
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = os.environ.get("BENCH_API_DATABASE", "lp_bench_api")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="bench-switches-" + "x" * 50,
    ALLOWED_HOSTS="testserver", SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0",
    CSRF_COOKIE_SECURE="0", DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    GRAPHQL_MAX_PAGE_SIZE="1000", GRAPHQL_MAX_COST="100000",
    DATA_DIR=tempfile.mkdtemp(prefix="bench-switches-data-"),
)  # fmt: skip
os.environ.pop("DEBUG", None)

import django  # noqa: E402

django.setup()
from django.test import Client  # noqa: E402
from graphql import GraphQLEnumType, GraphQLError  # noqa: E402

from bench.api_queries import BY_NAME  # noqa: E402
from graphql_api.library_internals import StrawberryGraphQLCoreExecutionContext  # noqa: E402
from graphql_api.readpath import rows  # noqa: E402
from graphql_api.readpath.execution import ReadPathExecutionContext  # noqa: E402
from graphql_api.readpath.read import RootNode  # noqa: E402
from learningplatform.models import Task  # noqa: E402

READS = ["nested_100x20", "course_detail", "courses_id_title", "course_task_count"]
BY_EXECUTOR = ["nested_100x20", "course_detail"]


def slot_by_slot(plan):
    """`rows.row_builder` without generated code: the same answers, a loop over the slots."""
    specs = []
    for slot in plan.slots:
        if slot.column is None:
            specs.append((slot.key, None, slot.constant, False))
            continue
        leaf, non_null = slot.leaf.leaf, slot.leaf.non_null
        coerce = leaf.coerce_output_value

        def checked(value, coerce=coerce):
            answer = coerce(value)
            return answer if answer is not None else rows.refused()

        if slot.leaf.global_id_of is not None:
            prefix = f"{slot.leaf.global_id_of}:"

            def convert(value, prefix=prefix):
                return binascii.b2a_base64((prefix + str(value)).encode(), newline=False).decode()
        elif leaf.name == "String":

            def convert(value, checked=checked):
                return value if value.__class__ is str else checked(value)
        elif isinstance(leaf, GraphQLEnumType):
            memo, coerce_enum = rows.enum_memo(leaf)

            def convert(value, memo=memo, coerce_enum=coerce_enum):
                return memo.get(value) or coerce_enum(value)
        else:
            convert = checked
        specs.append((slot.key, slot.column, convert, non_null))

    def build(page):
        objects = []
        for row in page:
            answer = {}
            for key, column, convert, non_null in specs:
                if column is None:
                    answer[key] = convert  # the constant
                    continue
                value = row[column]
                if value is None:
                    if non_null:
                        rows.refused()
                    answer[key] = None
                else:
                    answer[key] = convert(value)
            objects.append(answer)
        return objects

    return build


SHIPPED_BUILDER = rows.row_builder
SHIPPED_SHORTCUT = ReadPathExecutionContext.execute_field


def setting(name: str) -> None:
    rows.BUILDERS.clear()
    rows.row_builder = slot_by_slot if name == "rows slot by slot" else SHIPPED_BUILDER
    ReadPathExecutionContext.execute_field = (
        StrawberryGraphQLCoreExecutionContext.execute_field
        if name == "no column shortcut"
        else SHIPPED_SHORTCUT
    )
    RootNode.folding = name != "unfolded"


SETTINGS = ["shipped", "rows slot by slot", "no column shortcut", "unfolded"]


def block(send, seconds: float) -> float:
    """CPU seconds per request over about `seconds` of requests, and at least five."""
    started, cpu, count = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - started < seconds or count < 5:
        send()
        count += 1
    return (time.process_time() - cpu) / count


SHIPPED_READ = ReadPathExecutionContext.read


def declined(self, *args):
    return None  # as for a document the read path does not plan: the executor answers


def reader(client: Client, name: str, by_read_path: bool):
    query = BY_NAME[name]
    body = json.dumps({"query": query.document, "variables": query.variables})

    def send():
        ReadPathExecutionContext.read = SHIPPED_READ if by_read_path else declined
        response = client.post("/graphql/", body, content_type="application/json")
        assert response.status_code == 200 and b'"errors"' not in response.content, name
        return response.content

    return send


def updater(client: Client):
    task = Task.objects.select_related("course__instructor").order_by("pk").first()
    client.force_login(task.course.instructor)
    query, titles = BY_NAME["update_task"], itertools.cycle(["Renamed", "Renamed again"])
    task_id = binascii.b2a_base64(f"Task:{task.pk}".encode(), newline=False).decode()

    def send():
        ReadPathExecutionContext.read = SHIPPED_READ
        variables = {"input": {"id": task_id, "title": next(titles)}}
        response = client.post(
            "/graphql/", json.dumps({"query": query.document, "variables": variables}),
            content_type="application/json",
        )  # fmt: skip
        assert b'"errors":[]' in response.content.replace(b" ", b""), response.content
        return None  # a new updatedAt each time

    return send


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=1.0)
    options = parser.parse_args()
    anonymous = Client()
    shapes = [(name, "read path", reader(anonymous, name, True)) for name in READS]
    shapes += [(name, "executor", reader(anonymous, name, False)) for name in BY_EXECUTOR]
    shapes.append(("update_task", "executor (mutation)", updater(Client())))
    print(f"CPU ms per request, median of {options.blocks} blocks of {options.seconds:g} s; "
          "and each setting against the shipped one (above 1: slower without)")  # fmt: skip
    print(f"{'shape':<20} {'answered by':<20} " + " ".join(f"{s:>22}" for s in SETTINGS))
    for name, path, send in shapes:
        answers = set()
        for each in SETTINGS:  # warm every setting: plans kept, statements prepared
            setting(each)
            block(send, options.seconds / 2)
            answers.add(send())
        assert len(answers) == 1, f"{name}: the settings answer differently"
        figures = {each: [] for each in SETTINGS}
        for _ in range(options.blocks):
            for each in SETTINGS:
                setting(each)
                figures[each].append(block(send, options.seconds))
        medians = {each: statistics.median(values) for each, values in figures.items()}
        cells = [f"{medians['shipped'] * 1e3:8.3f}"] + [
            f"{medians[each] * 1e3:8.3f} ({medians[each] / medians['shipped']:5.3f}x)"
            for each in SETTINGS[1:]
        ]
        print(f"{name:<20} {path:<20} " + " ".join(f"{cell:>22}" for cell in cells), flush=True)
    setting("shipped")
    ReadPathExecutionContext.read = SHIPPED_READ
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GraphQLError as error:  # pragma: no cover - a bench run's own mistake
        sys.exit(str(error))
