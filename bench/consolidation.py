"""Benchmark: consolidating a large legacy database on PostgreSQL, against the floor.

    .venv/bin/python bench/consolidation.py                       # 1,000,000 tasks (default)
    .venv/bin/python bench/consolidation.py --tasks 100000 --courses 5000 --submissions 100000

It builds a rehearsal database with the legacy tables filled by SQL (generate_series), copies it
(CREATE DATABASE ... TEMPLATE), then times, each in a fresh process:
  - ours: `consolidation.run_steps` (the batched, set-based copy with the id map, merges and
    conflicts), then the backup (pg_dump) and the verification, separately;
  - the floor: the plain INSERT ... SELECT statements that move the same rows, nothing else.
Peak memory is the process's maximum resident set size. Results: bench/results/consolidation.json
and .md. Loopback PostgreSQL only (DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1/postgres).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BASE = ADMIN_URL.rsplit("/", 1)[0]


def run_manage(database: str, *args: str) -> None:
    env = os.environ | {"DATABASE_URL": f"{BASE}/{database}", "DEBUG": "1"}
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


def admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def build_rehearsal(database: str, courses: int, tasks: int, submissions: int) -> None:
    admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{database}"')
    run_manage(database, "migrate")
    run_manage(database, "shell", "--no-imports", "-c",
               "from learningplatform.consolidation import rehearsal; rehearsal.create_tables()")  # fmt: skip
    users = 1000
    with psycopg.connect(f"{BASE}/{database}", autocommit=True) as c:
        c.execute(f"""
            INSERT INTO learningplatform_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined)
            SELECT '!', FALSE, 'bench-' || i, '', '', '', FALSE, TRUE, now() FROM generate_series(1, {users}) i""")
        c.execute(f"""
            INSERT INTO courses_course (title, description, instructor_id, created_at, updated_at, status,
                visibility, learning_objectives, prerequisites, duration, difficulty_level)
            SELECT 'Course ' || i, repeat('Description ', 20), (SELECT MIN(id) FROM learningplatform_user) + i % {users},
                   now() - (i || ' minutes')::interval, now(), 'PUBLISHED', 'PUBLIC',
                   CASE WHEN i % 2 = 0 THEN 'Objectives' END, NULL, (i || ' days')::interval, 'BEGINNER'
            FROM generate_series(1, {courses}) i""")
        # One course in a hundred also sits in learningplatform_course: those merge.
        c.execute("""
            INSERT INTO learningplatform_course (title, description, instructor_id, created_at, updated_at,
                status, visibility, learning_objectives, prerequisites)
            SELECT title, 'old', instructor_id, created_at, updated_at, 'DRAFT', 'PUBLIC', NULL, NULL
            FROM courses_course WHERE id % 100 = 0""")
        c.execute(f"""
            INSERT INTO tasks_learningtask (title, description, course_id, status, difficulty_level, created_at,
                updated_at, created_by_id, max_submissions, deadline)
            SELECT 'Task ' || i, 'Do the thing', (SELECT MIN(id) FROM courses_course) + i % {courses}, 'PUBLISHED',
                   'INTERMEDIATE', now() - (i || ' seconds')::interval, now(), NULL, 3, now() + interval '30 days'
            FROM generate_series(1, {tasks}) i""")
        c.execute("""
            INSERT INTO tasks_quiztask (learningtask_ptr_id, max_score, passing_score, time_limit, is_randomized)
            SELECT id, 100, 50, 30, id % 2 = 0 FROM tasks_learningtask WHERE id % 3 = 0""")
        c.execute(f"""
            INSERT INTO assessment_submission (user_id, task_id, submitted_at, content, grade, graded_by_id)
            SELECT (SELECT MIN(id) FROM learningplatform_user) + (i / {tasks}) % {users},
                   (SELECT MIN(id) FROM tasks_learningtask) + i % {tasks}, now(), 'Answer ' || i,
                   CASE WHEN i % 2 = 0 THEN 75.5 END, NULL
            FROM generate_series(0, {submissions - 1}) i""")
        c.execute("VACUUM ANALYZE")


FLOOR_SQL = [
    """INSERT INTO learningplatform_course (id, title, description, instructor_id, created_at, updated_at,
           status, visibility, learning_objectives, prerequisites, duration, difficulty_level)
       SELECT id + 100000000, title, description, instructor_id, created_at, updated_at, status, visibility,
              learning_objectives, prerequisites, duration, difficulty_level FROM courses_course""",
    """INSERT INTO learningplatform_task (id, title, description, course_id, task_type, status, difficulty_level,
           created_by_id, deadline, max_score, passing_score, max_submissions, time_limit, is_randomized,
           created_at, updated_at)
       SELECT lt.id + 100000000, lt.title, lt.description, lt.course_id + 100000000,
              CASE WHEN q.learningtask_ptr_id IS NULL THEN 'LEARNING' ELSE 'QUIZ' END, lt.status,
              lt.difficulty_level, lt.created_by_id, lt.deadline, q.max_score, q.passing_score,
              lt.max_submissions, q.time_limit, COALESCE(q.is_randomized, FALSE), lt.created_at, lt.updated_at
       FROM tasks_learningtask lt LEFT JOIN tasks_quiztask q ON q.learningtask_ptr_id = lt.id""",
    """INSERT INTO learningplatform_submission (id, task_id, user_id, attempt, content, submitted_at, score,
           is_graded, graded_by_id)
       SELECT id + 100000000, task_id + 100000000, user_id, 1, content, submitted_at, grade,
              grade IS NOT NULL, graded_by_id FROM assessment_submission""",
]

MEASURE = """
import json, resource, sys, time, django
django.setup()
from django.db import connection
phase = sys.argv[1]
started = time.perf_counter()
if phase == "ours":
    from learningplatform.consolidation.steps import run_steps
    run_steps(batch_size=int(sys.argv[2]))
elif phase == "verify":
    from learningplatform.consolidation import verify
    assert verify().ok
elif phase == "backup":
    from pathlib import Path
    from learningplatform.consolidation.backup import backup_database
    backup_database(connection, Path(sys.argv[2])).unlink()
else:
    floor = json.loads(sys.argv[2])
    with connection.cursor() as cursor:
        for statement in floor:
            cursor.execute(statement)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(database: str, phase: str, argument: str) -> dict:
    env = os.environ | {
        "DATABASE_URL": f"{BASE}/{database}",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run([sys.executable, "-c", MEASURE, phase, argument], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--courses", type=int, default=50_000)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    options = parser.parse_args()
    rows = options.courses + options.tasks + options.submissions
    started = time.perf_counter()
    print(f"Building the rehearsal database ({rows:,} legacy rows)...", flush=True)
    build_rehearsal("lp_bench_legacy", options.courses, options.tasks, options.submissions)
    for copy in ("lp_bench_ours", "lp_bench_floor"):
        admin(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{copy}" TEMPLATE "lp_bench_legacy"')
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    floor = measure("lp_bench_floor", "floor", json.dumps(FLOOR_SQL))
    ours = measure("lp_bench_ours", "ours", str(options.batch_size))
    verify = measure("lp_bench_ours", "verify", "")
    backup = measure("lp_bench_ours", "backup", "/tmp")
    for database in ("lp_bench_legacy", "lp_bench_ours", "lp_bench_floor"):
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    result = {
        "sizes": {
            "courses": options.courses,
            "tasks": options.tasks,
            "submissions": options.submissions,
        },
        "legacy_rows": rows,
        "batch_size": options.batch_size,
        "ours": ours | {"rows_per_second": rows / ours["seconds"]},
        "floor": floor | {"rows_per_second": rows / floor["seconds"]},
        "ratio_ours_to_floor": ours["seconds"] / floor["seconds"],
        "verify": verify,
        "backup": backup,
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"consolidation-{options.tasks}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    table = "\n".join([
        f"Legacy rows: {rows:,} ({options.courses:,} courses, {options.tasks:,} tasks, {options.submissions:,} submissions), PostgreSQL, batches of {options.batch_size:,}",
        "",
        "| phase | seconds | rows/s | peak memory (MB) |",
        "|---|---|---|---|",
        f"| consolidation (ours) | {ours['seconds']:.1f} | {rows / ours['seconds']:,.0f} | {ours['peak_rss_mb']:.0f} |",
        f"| floor: plain INSERT ... SELECT | {floor['seconds']:.1f} | {rows / floor['seconds']:,.0f} | {floor['peak_rss_mb']:.0f} |",
        f"| verification (every column) | {verify['seconds']:.1f} | {rows / verify['seconds']:,.0f} | {verify['peak_rss_mb']:.0f} |",
        f"| backup (pg_dump -Fc) | {backup['seconds']:.1f} | | |",
        "",
        f"ours / floor: {result['ratio_ours_to_floor']:.2f}x",
    ])  # fmt: skip
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
