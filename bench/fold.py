"""One statement per request: a nested level folded into its parent's statement, measured.

The read path reads one statement per level (graphql_api/readpath/): the frontend's
`course_detail` (one course with its tasks) is two, the course and then its tasks. PostGraphile
and the floor send one: the child rows aggregated into the parent's row (a LATERAL subquery with
`json_agg`). This prototype takes the two statements the read path keeps for `course_detail`,
folds the second into the first (`(SELECT json_agg(t) FROM (<tasks' SQL, the parent's id in
place of the ids parameter>) t)` as one more column of the course's row), checks that both give
the same rows, and times both in alternating blocks, in process, on one connection:

    BENCH_API_DATABASE=lp_bench_api .venv/bin/python bench/fold.py --blocks 9 --requests 200

Each request reads a course drawn at random, as a student. Reported: the median over blocks of
CPU and wall milliseconds per request for each, and folded / two statements. The Python that
builds the answer from the rows is not in either figure; the folded rows' tasks come as JSON
(parsed by psycopg), which the answer builder would still have to turn into its values.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("BENCH_API_DATABASE", "lp_bench_api")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE,
    SECRET_KEY="bench-fold-" + "x" * 40, ALLOWED_HOSTS="*", SECURE_SSL_REDIRECT="0",
    GRAPHQL_MAX_PAGE_SIZE="1000", LOG_LEVEL="WARNING",
)  # fmt: skip
os.environ.pop("DEBUG", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from strawberry.relay import to_base64

    from config.schema import schema
    from graphql_api.readpath.binding import NODE_IDS, VIEWER_ID, bind, bound
    from graphql_api.readpath.index import index_of
    from graphql_api.trusted_documents import document_id
    from learningplatform.models import Course, User

    student = User.objects.filter(is_staff=False, courses__isnull=True).first()
    ids = list(Course.objects.values_list("pk", flat=True))
    client = Client()
    client.force_login(student)
    detail = (ROOT / "graphql_api/documents/course_detail.graphql").read_text()
    body = {"documentId": document_id(detail), "variables": {"id": to_base64("Course", ids[0])}}
    assert "errors" not in client.post("/graphql/", body, content_type="application/json").json()
    (plan,) = [p for p in index_of(schema._schema).plans.kept() if p.fallback is None]
    (_key, root), *_ = plan.roots
    (nested,) = [r.statement for r in root.plan.relations if hasattr(r, "page")]  # the tasks
    parent = root.statement
    values = {VIEWER_ID: student.pk, NODE_IDS[0]: ids[0]}
    with bound(values), connection.cursor() as cursor:
        cursor.execute(parent.sql, bind(parent.params))
        width = len(cursor.description)
    columns = ", ".join(f"c{n}" for n in range(width))  # the joined rows' names repeat (id)
    ids_at = nested.ids_at[0]
    nested_sql = nested.sql.replace("= ANY(%s::bigint[])", "= ANY(ARRAY[p.c0])", 1)
    nested_params = tuple(v for i, v in enumerate(nested.params) if i != ids_at)
    folded = (
        f"SELECT p.*, (SELECT json_agg(t) FROM ({nested_sql}) t) "  # noqa: S608 - the read path's
        f"FROM ({parent.sql}) p({columns})"
    )

    def two(course_id: int) -> tuple:
        values[NODE_IDS[0]] = course_id
        with bound(values), connection.cursor() as cursor:
            cursor.execute(parent.sql, bind(parent.params))
            rows = cursor.fetchall()
            params = list(bind(nested.params))
            params[ids_at] = [r[0] for r in rows]
            cursor.execute(nested.sql, params)
            return rows, cursor.fetchall()

    def one(course_id: int) -> tuple:
        values[NODE_IDS[0]] = course_id
        with bound(values), connection.cursor() as cursor:
            cursor.execute(folded, (*bind(nested_params), *bind(parent.params)))
            return cursor.fetchall()

    for course_id in random.Random(1).sample(ids, 20):  # the same rows, both ways
        parents, children = two(course_id)
        (row,) = one(course_id) or [(None,)]
        assert [list(r) for r in parents] == [list(row[: len(parents[0])])] if parents else True
        assert len(children) == len(row[-1] or []), course_id
    figures = {"two statements": ([], []), "folded": ([], [])}
    rng = random.Random(7)
    for _block in range(options.blocks):
        for name, run in (("two statements", two), ("folded", one)):
            draw = [rng.choice(ids) for _ in range(options.requests)]
            for course_id in draw[:20]:
                run(course_id)
            cpu, wall = time.process_time(), time.perf_counter()
            for course_id in draw:
                run(course_id)
            figures[name][0].append((time.process_time() - cpu) / options.requests * 1000)
            figures[name][1].append((time.perf_counter() - wall) / options.requests * 1000)
    medians = {k: (statistics.median(c), statistics.median(w)) for k, (c, w) in figures.items()}
    for name, (cpu, wall) in medians.items():
        print(f"{name}: {cpu:.3f} ms CPU, {wall:.3f} ms wall per request")
    (c2, w2), (c1, w1) = medians["two statements"], medians["folded"]
    print(f"folded / two statements: CPU {c1 / c2:.2f}, wall {w1 / w2:.2f}")


if __name__ == "__main__":
    main()
