"""Where a request's time goes, in process: SQL, rows to Python, GraphQL execution, JSON.

Runs one of bench/api_queries.py's queries against lp_bench_api (create it with bench/api.py)
through the whole Django stack, repeatedly, and splits the median request into:

- SQL: time inside cursor.execute (psycopg fetches the rows there);
- rows to Python: the rest of fetching (psycopg building tuples, Django building model instances
  on the executor's path; the read path, graphql_api/readpath/, reads values, not instances);
- GraphQL execution: schema.execute_sync minus the two above (parsing and validation when not
  cached, planning, resolvers or the plain path's row builders, completion);
- JSON: encoding the result, as the view does (graphql_api/views.py);
- HTTP and Django: the rest of the test client's request (middleware, view, response).

    .venv/bin/python bench/split.py                   # nested_100x20
    .venv/bin/python bench/split.py course_catalogue --requests 30
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=ADMIN_URL.rsplit("/", 1)[0] + "/lp_bench_api",
    SECRET_KEY="bench-split-" + "x" * 50, ALLOWED_HOSTS="*", SECURE_SSL_REDIRECT="0",
    GRAPHQL_MAX_PAGE_SIZE="1000", GRAPHQL_MAX_COST="100000",
)  # fmt: skip
os.environ.pop("DEBUG", None)


def main() -> int:
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.db.models.query import QuerySet
    from django.test import Client, RequestFactory
    from strawberry.django.context import StrawberryDjangoContext

    from bench.api_queries import BY_NAME, HEADLINE
    from config.schema import schema
    from graphql_api.readpath.statements import Statement
    from graphql_api.views import GraphQLView

    encode = GraphQLView(schema=schema).encode_json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("query", nargs="?", default=HEADLINE, choices=list(BY_NAME))
    parser.add_argument("--requests", type=int, default=20)
    options = parser.parse_args()
    query = BY_NAME[options.query]

    clock = {"sql": 0.0, "fetch": 0.0}

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock["sql"] += time.perf_counter() - started

    depth = {"n": 0}

    def timed(original):
        def fetch(*args, **kwargs):
            if depth["n"]:
                return original(*args, **kwargs)
            depth["n"] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                depth["n"] -= 1
                clock["fetch"] += time.perf_counter() - started

        return fetch

    QuerySet._fetch_all = timed(QuerySet._fetch_all)
    Statement.rows = timed(Statement.rows)
    client, body = Client(), {"query": query.document, "variables": query.variables}
    request = RequestFactory().post("/graphql/")
    request.user, request.session = AnonymousUser(), {}
    context = StrawberryDjangoContext(request=request, response=None)
    rows = []
    with connection.execute_wrapper(timed_sql):
        for number in range(options.requests + 3):
            clock.update(sql=0.0, fetch=0.0)
            started = time.perf_counter()
            result = schema.execute_sync(
                query.document, variable_values=query.variables, context_value=context
            )
            executed = time.perf_counter() - started
            sql, fetch = clock["sql"], clock["fetch"]
            started = time.perf_counter()
            encode({"data": result.data})
            encoded = time.perf_counter() - started
            started = time.perf_counter()
            client.post("/graphql/", body, content_type="application/json")
            whole = time.perf_counter() - started
            if number >= 3:  # warm-up first
                rows.append({
                    "sql": sql, "rows to Python": fetch - sql,
                    "GraphQL execution": executed - fetch, "JSON": encoded,
                    "HTTP and Django": whole - executed - encoded, "whole request": whole,
                })  # fmt: skip
    assert not result.errors, result.errors
    print(f"{query.name}: median of {options.requests} requests, milliseconds")
    for part in rows[0]:
        value = statistics.median(row[part] for row in rows) * 1000
        print(f"  {part:<20} {value:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
