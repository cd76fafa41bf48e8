"""What running a stale prepared statement again costs (learningplatform/db/postgresql/base.py).

    .venv/bin/python bench/stale_statements.py

On a PostgreSQL cluster of its own (bench/clusters.py), through Django's connection with the
production options (server-side binding, prepare threshold 1), one run measures:

- the wrapper's cost on every statement: a prepared SELECT of 20 rows run 3,000 times, with and
  without `run_again_if_stale` among the connection's execute wrappers, alternating in 10
  rounds (the ratio of the medians);
- what the first run after `ALTER COLUMN ... TYPE` costs: the failed run, `DEALLOCATE ALL` and
  the run again, against an ordinary run of the same statement (medians of 20 changes);
- the alternative it replaces, a fresh connection: connecting and running the statement.

Results: bench/results/stale_statements.json.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.clusters import throwaway_cluster  # noqa: E402

SELECT = "SELECT id, title FROM bench_course WHERE id > %s ORDER BY id LIMIT 20"


def main() -> int:
    with throwaway_cluster() as cluster:
        os.environ |= {
            "DATABASE_URL": cluster.create_database("bench"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",
        }
        import django

        django.setup()
        result = measure()
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/stale_statements.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


def measure() -> dict:
    import psycopg
    from django.db import NotSupportedError, connection

    from learningplatform.db.postgresql.base import run_again_if_stale

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_course (id serial PRIMARY KEY, title varchar(255))")
        cursor.execute(
            "INSERT INTO bench_course (title) SELECT 'Course ' || n FROM generate_series(1, 200) n"
        )

    def run() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SELECT, [0])
            cursor.fetchall()
        return time.perf_counter() - started

    def loop(times: int) -> float:
        started = time.perf_counter()
        for _ in range(times):
            run()
        return time.perf_counter() - started

    loop(100)  # prepared from here on
    with_wrapper, without = [], []
    for _ in range(10):
        with_wrapper.append(loop(3000))
        connection.execute_wrappers.remove(run_again_if_stale)
        without.append(loop(3000))
        connection.execute_wrappers.insert(0, run_again_if_stale)

    # From another connection, as `migrate` would: on this one psycopg would see the ALTER.
    other = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)

    def change_type(length: int) -> None:
        other.execute(f"ALTER TABLE bench_course ALTER COLUMN title TYPE varchar({length})")

    change_type(299)  # the fault is real: without the wrapper the statement fails
    connection.execute_wrappers.remove(run_again_if_stale)
    try:
        run()
        raise AssertionError("the statement did not go stale")
    except NotSupportedError:
        pass
    finally:
        connection.execute_wrappers.insert(0, run_again_if_stale)
    run()

    ordinary, after_change, reconnect = [], [], []
    for n in range(20):
        ordinary.append(statistics.median(run() for _ in range(20)))
        change_type(300 + n)  # another length each time: a real type change
        after_change.append(run())
        started = time.perf_counter()
        connection.close()
        run()
        reconnect.append(time.perf_counter() - started)

    def ms(values) -> float:
        return round(1000 * statistics.median(values), 3)

    return {
        "statements_per_round": 3000,
        "us_per_statement_with_wrapper": round(1e6 * statistics.median(with_wrapper) / 3000, 1),
        "us_per_statement_without": round(1e6 * statistics.median(without) / 3000, 1),
        "wrapper_ratio": round(statistics.median(with_wrapper) / statistics.median(without), 3),
        "ordinary_run_ms": ms(ordinary),
        "first_run_after_type_change_ms": ms(after_change),
        "fresh_connection_and_run_ms": ms(reconnect),
    }


if __name__ == "__main__":
    sys.exit(main())
