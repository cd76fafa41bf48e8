"""Benchmark: what the API's reads cost at 10,000, 100,000 and 1,000,000 tasks on PostgreSQL.

    .venv/bin/python bench/scale.py                          # 10,000, 100,000 and 1,000,000 tasks
    .venv/bin/python bench/scale.py --sizes 10000 100000 --rounds 5 --keep --prefix lp_mine
    .venv/bin/python bench/scale.py --sizes 10000 100000 --reuse --keep --prefix lp_mine  # again

For each size it creates the database `<prefix>_<size>` (`--prefix`, default lp_scale),
migrates it, loads the rows by SQL (generate_series: one course holds a tenth of the tasks,
100,000 of 1,000,000, the others 250 each; 10 courses an instructor; one submission per 10
tasks, half of them by one student; 95% of courses published and public, 60% of tasks
published, so an anonymous visitor sees some 57% of the tasks), refreshes the planner
statistics as `seed` does, then, in a fresh process, sends each item below through the whole
Django stack (`/graphql/`; anonymous unless the item names a viewer):

- every query of the frontend (graphql_api/documents/*.graphql, the trusted documents);
- the first page of tasks (10 a page) by id and by deadline, and a page 20,000 pages deep in
  each order (or as deep as the list goes, said in the table);
- `totalCount` of the tasks, for each kind of viewer (anonymous, a student, the big course's
  instructor, staff);
- 20 courses by title with `taskCount` and `submissionCount`, for each kind of viewer;
- the instructor's `me { courses(first: 5) { taskCount submissionCount } }`;
- the big course: its first 10 tasks with `taskCount` and `totalCount`, a nested page 90% into
  its list by id, by deadline and by title (keyset cursors), and its last 10 tasks by title
  (the instructor);
- 20 courses with 5 tasks each by deadline and their totals (the big course first), and the
  instructor's `me { courses }` by title with 5 tasks each by title (nested orders);
- a search for a word in one title of 10,000, and for a common letter ("e"), with totalCount;
- the legacy `learningTasks(limit: 100)` at the deepest offset it takes (1,000).

Each item is timed once right after the load (the first request after the statistics refresh),
then warmed up and timed `--rounds` times (median). Every SQL statement of every item is then
EXPLAINed, and any sequential scan of the task, course or submission table is reported.
Bounded: statements time out after 60 s; everything runs on loopback PostgreSQL
(DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres). The databases are
dropped at the end unless --keep. Results: bench/results/scale.json and scale.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCUMENTS = ROOT / "graphql_api" / "documents"  # the frontend's trusted documents
ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BASE = ADMIN_URL.rsplit("/", 1)[0]
BIG_TABLES = {"learningplatform_task", "learningplatform_course", "learningplatform_submission"}
PAGE = 10
DEPTH = 20_000  # pages
TASKS_PER_COURSE, COURSES_PER_INSTRUCTOR = 250, 10
SEARCHED = "zebra"  # in one title of 10,000
COMMON = "e"  # in most titles and descriptions
BIG_SHARE = 10  # the big course holds 1 task in BIG_SHARE
VIEWERS = ("anonymous", "student", "instructor", "staff")
# The deepest offset the legacy lists take (legacy_shim.graphql.MAX_OFFSET; nothing outside the
# shim imports it, so that deleting the shim deletes all of it).
LEGACY_OFFSET = 1000
PAGE_FIELDS = "pageInfo { hasNextPage endCursor } edges { cursor node { id title deadline } }"


PREFIX = "lp_scale"  # --prefix


def database_name(size: int) -> str:
    return f"{PREFIX}_{size}"


def admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def manage(database: str, *args: str) -> None:
    env = os.environ | {"DATABASE_URL": f"{BASE}/{database}", "DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def build(size: int) -> float:
    """Create, migrate and fill the database of `size` tasks; the seconds the load took."""
    database = database_name(size)
    admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{database}"')
    manage(database, "migrate", "-v", "0")
    big = size // BIG_SHARE  # the big course's tasks, the first ones
    courses = 1 + -(-(size - big) // TASKS_PER_COURSE)  # rounded up
    instructors = max(courses // COURSES_PER_INSTRUCTOR, 1)
    started = time.perf_counter()
    with psycopg.connect(f"{BASE}/{database}", autocommit=True) as c:
        c.execute(f"""
            INSERT INTO learningplatform_user (password, is_superuser, username, first_name,
                last_name, email, is_staff, is_active, date_joined)
            SELECT '!', FALSE, 'teacher-' || i, 'First', 'Last', '', FALSE, TRUE, now()
            FROM generate_series(1, {instructors}) i""")
        c.execute("""
            INSERT INTO learningplatform_user (password, is_superuser, username, first_name,
                last_name, email, is_staff, is_active, date_joined)
            VALUES ('!', FALSE, 'student', 'First', 'Last', '', FALSE, TRUE, now()),
                   ('!', TRUE, 'staff', 'First', 'Last', '', TRUE, TRUE, now())""")
        c.execute(f"""
            INSERT INTO learningplatform_course (title, description, instructor_id, created_at,
                updated_at, status, visibility, learning_objectives, prerequisites, duration,
                difficulty_level)
            SELECT 'Course ' || i, 'What course ' || i || ' teaches.',
                   (SELECT MIN(id) FROM learningplatform_user) + i % {instructors},
                   now() - (i || ' minutes')::interval, now() - (i || ' seconds')::interval,
                   CASE WHEN i % 20 = 7 AND i > 1 THEN 'DRAFT' ELSE 'PUBLISHED' END,
                   CASE WHEN i % 20 = 9 AND i > 1 THEN 'PRIVATE' ELSE 'PUBLIC' END,
                   'Objectives', NULL, (i % 30 || ' days')::interval,
                   (ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED', NULL])[i % 4 + 1]
            FROM generate_series(1, {courses}) i""")
        words = "ARRAY['loops', 'arrays', 'graphs', 'queues', 'recursion', 'sorting', 'trees']"
        c.execute(f"""
            INSERT INTO learningplatform_task (title, description, course_id, task_type, status,
                difficulty_level, created_by_id, deadline, max_score, passing_score,
                max_submissions, time_limit, is_randomized, created_at, updated_at)
            SELECT 'Task ' || i || ' on ' || CASE WHEN i % 10000 = 5000 THEN '{SEARCHED}'
                       ELSE ({words})[i % 7 + 1] END,
                   'Exercise ' || i || ': practise what the lesson showed.',
                   (SELECT MIN(id) FROM learningplatform_course) + CASE WHEN i <= {big} THEN 0
                       ELSE 1 + (i - {big} - 1) / {TASKS_PER_COURSE} END,
                   CASE WHEN i % 2 = 0 THEN 'QUIZ' ELSE 'LEARNING' END,
                   CASE WHEN i % 10 < 6 THEN 'PUBLISHED' WHEN i % 10 < 9 THEN 'DRAFT'
                       ELSE 'ARCHIVED' END,
                   'INTERMEDIATE', NULL,
                   CASE WHEN i % 3 = 0 THEN NULL
                       ELSE now() + ((i % 1000) || ' hours')::interval END,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE 100 END, NULL, 3, NULL, FALSE,
                   now() - (i || ' seconds')::interval, now()
            FROM generate_series(1, {size}) i""")
        c.execute(f"""
            INSERT INTO learningplatform_submission (user_id, task_id, attempt, content,
                submitted_at, score, is_graded, graded_by_id)
            SELECT CASE WHEN i % 2 = 0
                       THEN (SELECT id FROM learningplatform_user WHERE username = 'student')
                       ELSE (SELECT MIN(id) FROM learningplatform_user) + i % {instructors} END,
                   (SELECT MIN(id) FROM learningplatform_task) + i * 10 - 1, 1, 'Answer',
                   now(), NULL, FALSE, NULL
            FROM generate_series(1, {size // 10}) i""")
    return time.perf_counter() - started


def measure_in_fresh_process(size: int, rounds: int) -> dict:
    env = os.environ | {
        "DATABASE_URL": f"{BASE}/{database_name(size)}",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": "testserver",  # Django's test client, in process
    }
    command = [sys.executable, __file__, "--measure", str(size), "--rounds", str(rounds)]
    command += ["--prefix", PREFIX]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- in the measuring process -------------------------------------------------------------


def items(size: int) -> dict[str, tuple[str, dict, str]]:
    """Each timed item: its document, variables and viewer (a key of `viewers()`)."""
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Count

    from graphql_api.connections import Keyset
    from learningplatform.models import Course, Task
    from learningplatform.selectors import courses_visible_to, tasks_visible_to

    anonymous = AnonymousUser()
    courses = courses_visible_to(anonymous).order_by("id")
    course = courses[courses.count() // 2]  # one in the middle, with its 250 tasks
    visible = tasks_visible_to(anonymous)
    chosen = {}
    for name in sorted(p.stem for p in DOCUMENTS.glob("*.graphql")):
        text = (DOCUMENTS / f"{name}.graphql").read_text()
        operation = next(line for line in text.splitlines() if not line.startswith("#"))
        if not operation.startswith("query"):
            continue
        variables = {
            "id": _global_id("Course", course.pk),
            "instructor": _global_id("User", course.instructor_id),
        }
        chosen[name] = (text, {k: v for k, v in variables.items() if f"${k}" in text}, "anonymous")
    if not chosen:
        raise SystemExit(f"No frontend query found in {DOCUMENTS}: nothing to compare.")
    by_id, by_deadline = Keyset(Task, None), Keyset(Task, "deadline", descending=True)
    rows = visible.count()
    depth = min(DEPTH * PAGE, rows - PAGE)  # the row the deep page starts after
    deep_id = by_id.ordered(visible).values_list("id", flat=True)[depth - 1]
    deep_deadline = by_deadline.ordered(visible).values_list("deadline", "id")[depth - 1]
    for order, keyset, key in [("", by_id, (deep_id,)), ("deadline", by_deadline, deep_deadline)]:
        ordering = ", orderBy: {field: DEADLINE, direction: DESC}" if order else ""
        suffix = f" by {order}" if order else ""
        query = f"query($after: String) {{ tasks(first: {PAGE}, after: $after{ordering}) {{ {PAGE_FIELDS} }} }}"
        chosen[f"first page{suffix}"] = (query, {}, "anonymous")
        chosen[f"deep page{suffix}"] = (query, {"after": keyset.cursor(key)}, "anonymous")
    for viewer in VIEWERS:
        chosen[f"totalCount ({viewer})"] = ("{ tasks { totalCount } }", {}, viewer)
    for viewer in VIEWERS:
        chosen[f"20 courses by title, taskCount submissionCount ({viewer})"] = (
            "{ courses(first: 20, orderBy: {field: TITLE}) { edges { node { title taskCount "
            "submissionCount } } } }",
            {},
            viewer,
        )
    chosen["me: 5 courses, taskCount submissionCount (instructor)"] = (
        "{ me { courses(first: 5) { edges { node { taskCount submissionCount } } } } }",
        {},
        "instructor",
    )
    big = Course.objects.annotate(n=Count("tasks")).order_by("-n").first()
    big_id = _global_id("Course", big.pk)
    chosen["big course: 10 tasks, taskCount, totalCount (instructor)"] = (
        "query($id: ID!) { course(id: $id) { taskCount tasks(first: 10) { totalCount "
        "edges { node { id title } } } } }",
        {"id": big_id},
        "instructor",
    )
    # Nested pages deep into the big course, by keyset cursors of each order: the cursor of the
    # row 90% into the course's list (all of its tasks: its instructor sees them all).
    big_tasks = Task.objects.filter(course=big)
    deep = big.n * 9 // 10
    for label, keyset, ordering in [
        ("", Keyset(Task, None), ""),
        (" by deadline", Keyset(Task, "deadline", descending=True),
         ", orderBy: {field: DEADLINE, direction: DESC}"),
        (" by title", Keyset(Task, "title"), ", orderBy: {field: TITLE}"),
    ]:  # fmt: skip
        fields = ("id",) if keyset.column is None else (keyset.column, "id")
        key = keyset.ordered(big_tasks).values_list(*fields)[deep - 1]
        chosen[f"big course: a nested page 90% in{label} (instructor)"] = (
            "query($id: ID!, $after: String) { course(id: $id) { tasks(first: 10, after: $after"
            f"{ordering}) {{ {PAGE_FIELDS} }} }} }}",
            {"id": big_id, "after": keyset.cursor(tuple(key))},
            "instructor",
        )
    chosen["big course: the last 10 tasks by title, backwards (instructor)"] = (
        "query($id: ID!) { course(id: $id) { tasks(last: 10, orderBy: {field: TITLE}) "
        f"{{ {PAGE_FIELDS} }} }} }}",
        {"id": big_id},
        "instructor",
    )
    chosen["20 courses (the big one first), 5 tasks each by deadline, totalCount"] = (
        "{ courses(first: 20) { edges { node { id tasks(first: 5, orderBy: {field: DEADLINE, "
        "direction: DESC}) { totalCount edges { node { id deadline } } } } } } }",
        {},
        "instructor",
    )
    chosen["me: 10 courses by title, 5 tasks each by title (instructor)"] = (
        "{ me { courses(first: 10, orderBy: {field: TITLE}) { totalCount edges { node { title "
        "tasks(first: 5, orderBy: {field: TITLE}) { totalCount edges { node { id title } } } "
        "} } } } }",
        {},
        "instructor",
    )
    chosen["search (rare word, with totalCount)"] = (
        f'{{ tasks(first: {PAGE}, filter: {{search: "{SEARCHED}"}}) {{ totalCount {PAGE_FIELDS} }} }}',
        {},
        "anonymous",
    )
    chosen[f'search "{COMMON}" (with totalCount)'] = (
        f'{{ tasks(first: {PAGE}, filter: {{search: "{COMMON}"}}) {{ totalCount {PAGE_FIELDS} }} }}',
        {},
        "anonymous",
    )
    chosen[f"legacy learningTasks(limit: 100, offset: {LEGACY_OFFSET})"] = (
        f"{{ learningTasks(limit: 100, offset: {LEGACY_OFFSET}) {{ id title dueDate }} }}",
        {},
        "anonymous",
    )
    chosen["_depth"] = depth // PAGE  # pages, reported
    chosen["_visible"] = rows
    chosen["_big"] = big.n
    return chosen


def viewers() -> dict:
    """A client per kind of viewer: the big course's instructor, the student, staff."""
    from django.db.models import Count
    from django.test import Client

    from learningplatform.models import Course, User

    big = Course.objects.annotate(n=Count("tasks")).order_by("-n").first()
    users = {
        "student": User.objects.get(username="student"),
        "instructor": big.instructor,
        "staff": User.objects.get(username="staff"),
    }
    clients = {"anonymous": Client()}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def _global_id(type_name: str, pk: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, pk)


def send(client, query: str, variables: dict) -> float:
    started = time.perf_counter()
    response = client.post(
        "/graphql/", {"query": query, "variables": variables}, content_type="application/json"
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise SystemExit(f"{query[:80]}...: {response.status_code} {body}")
    return elapsed * 1000


def sequential_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += sequential_scans(child)
    return found


def measure(size: int, rounds: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learningplatform.models import Course, Submission, Task, User
    from learningplatform.statistics import refresh_statistics

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '60s'")
    refresh_statistics((User, Course, Task, Submission))  # what `seed` does after its load
    clients = viewers()
    for client in clients.values():
        send(client, "{ __typename }", {})  # the Python side warmed up; the database is not
    chosen = items(size)
    depth, visible, big = chosen.pop("_depth"), chosen.pop("_visible"), chosen.pop("_big")
    cold = {name: send(clients[viewer], q, v) for name, (q, v, viewer) in chosen.items()}
    for _ in range(3):
        for query, variables, viewer in chosen.values():
            send(clients[viewer], query, variables)
    warm = {
        name: statistics.median(send(clients[viewer], q, v) for _ in range(rounds))
        for name, (q, v, viewer) in chosen.items()
    }
    scans = {}
    for name, (query, variables, viewer) in chosen.items():
        with CaptureQueriesContext(connection) as captured:
            send(clients[viewer], query, variables)
        for statement in captured.captured_queries:
            sql = statement["sql"]
            if not sql.startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                (plan,) = cursor.fetchone()[0]
            if found := sequential_scans(plan["Plan"]):
                scans.setdefault(name, []).append({"tables": found, "sql": sql[:300]})
    return {
        "size": size, "visible_tasks": visible, "deep_page_pages": depth, "big_course_tasks": big,
        "cold_ms": cold, "warm_ms": warm, "sequential_scans": scans,
    }  # fmt: skip


# --- the report --------------------------------------------------------------------------


def report(runs: list[dict], loads: dict, rounds: int) -> str:
    sizes = [run["size"] for run in runs]
    names = list(runs[0]["warm_ms"])
    header = " | ".join(f"{size:,} tasks: after load / warm" for size in sizes)
    lines = [
        f"Scale benchmark, {date.today().isoformat()}: milliseconds per request "
        f"through /graphql/ in process (warm: median of {rounds}); anonymous unless named.",
        "",
        f"| item | {header} |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in names:
        cells = " | ".join(
            f"{run['cold_ms'][name]:.1f} / {run['warm_ms'][name]:.1f}" for run in runs
        )
        lines.append(f"| {name} | {cells} |")
    lines += [
        "",
        "| size | load (s) | tasks visible | big course | deep page (pages of 10) | sequential scans |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        scans = run["sequential_scans"]
        listed = "; ".join(
            f"{n}: {', '.join(sorted({t for s in v for t in s['tables']}))}"
            for n, v in scans.items()
        )
        lines.append(
            f"| {run['size']:,} | {loads[run['size']]:.0f} | {run['visible_tasks']:,} | "
            f"{run['big_course_tasks']:,} | "
            f"{run['deep_page_pages']:,} | {listed or 'none'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    global PREFIX
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="task counts to build (default: 10000 100000 1000000)",
    )
    parser.add_argument("--rounds", type=int, default=7, help="warm timings per item (default: 7)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--prefix", default=PREFIX, help=f"database names: <prefix>_<size> (default {PREFIX})"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the kept databases of an earlier --keep run"
    )
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the measuring process
    args = parser.parse_args()
    PREFIX = args.prefix
    if args.measure:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(measure(args.measure, args.rounds)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs, loads = [], {}
    for size in args.sizes:
        if args.reuse:
            loads[size] = 0.0  # not loaded in this run
        else:
            print(f"building {size:,} tasks...", flush=True)
            loads[size] = build(size)
            print(f"  loaded in {loads[size]:.0f} s; measuring", flush=True)
        runs.append(measure_in_fresh_process(size, args.rounds))
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{database_name(size)}" WITH (FORCE)')
    (RESULTS / "scale.json").write_text(json.dumps({"loads_s": loads, "runs": runs}, indent=2))
    table = report(runs, loads, args.rounds)
    (RESULTS / "scale.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
