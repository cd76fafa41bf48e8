"""Before and after: the same requests on two commits of this project, in one run.

A change meant to cost no speed (a refactor, a library touch point moved) is measured against
the commit before it, both sides in the same run so that the machine's load weighs on both:

    .venv/bin/python bench/before_after.py --base HEAD~1
    .venv/bin/python bench/before_after.py --base 879a161 --blocks 7 --requests 20

The base commit is checked out into a temporary git worktree (removed after). Each side runs in
processes of its own, with its own code first on sys.path (the installed packages are shared),
against bench/api.py's database (lp_bench_api; `--create` makes it as bench/api.py does). Blocks
alternate, base then this checkout, `--blocks` times; in each block every request is sent through
Django's whole WSGI stack (the test client: middleware, view, read path or executor) `--requests`
times after a warm-up, and the figure is the CPU time of the process per request (so the
database's own time and other load on the machine weigh little). The requests are
bench/api_queries.py's fixed queries (anonymous), one task by id drawn at random for each
request, and a write (the frontend's task editor renaming a task, as the task's instructor).

Reported per request: the median over blocks of each side's CPU milliseconds, and this / base
(above 1.00 is slower). Both sides must give the same answers: the first answer of each request
is compared, and a difference is reported instead of a figure.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("BENCH_API_DATABASE", "lp_bench_api")
FIXED = [
    "nested_100x20",
    "course_catalogue",
    "course_detail",
    "courses_id_title",
    "nested_50x50_totals",
    "tasks_course_instructor",
    "filtered_ordered",
    "course_task_count",
]


def child(root: str) -> int:
    """One block, in the checkout at `root`: read the plan on stdin, print figures on stdout."""
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE,
        SECRET_KEY="bench-before-after-" + "x" * 40, ALLOWED_HOSTS="*", SECURE_SSL_REDIRECT="0",
        GRAPHQL_MAX_PAGE_SIZE="1000", GRAPHQL_MAX_COST="100000", LOG_LEVEL="WARNING",
    )  # fmt: skip
    os.environ.pop("DEBUG", None)
    import time

    import django

    django.setup()
    from django.test import Client

    from learningplatform.models import Task

    plan = json.load(sys.stdin)
    rng = random.Random(plan["seed"])
    anonymous, instructor = Client(), Client()
    task_ids = list(Task.objects.values_list("id", flat=True).order_by("id"))
    # the write's task is put back as it was at the end, so both sides read the same rows
    edited = Task.objects.select_related("course__instructor").get(id=task_ids[-1])
    instructor.force_login(edited.course.instructor)

    def variables(request):
        if request["name"] == "task_by_id":
            return {"id": global_id("Task", rng.choice(task_ids))}
        if request["name"] == "update_task":
            title = f"Renamed {rng.randrange(10**9)}"
            return {"input": {"id": global_id("Task", edited.id), "title": title}}
        return request["variables"]

    results = {}
    for request in plan["requests"]:
        client = instructor if request["name"] == "update_task" else anonymous

        def send(request=request, client=client):
            body = {"query": request["document"], "variables": variables(request)}
            return client.post("/graphql/", body, content_type="application/json")

        first = send()
        answer = first.json()
        for _ in range(4):
            send()
        started = time.process_time()
        for _ in range(plan["count"]):
            send()
        cpu = (time.process_time() - started) / plan["count"] * 1000
        kept = answer if request["name"] in FIXED else sorted(answer.get("data") or {})
        results[request["name"]] = {"cpu_ms": cpu, "status": first.status_code, "answer": kept}
    Task.objects.filter(id=edited.id).update(title=edited.title, updated_at=edited.updated_at)
    json.dump(results, sys.stdout)
    return 0


def global_id(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the commit to compare with (git rev)")
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--requests", type=int, default=15, help="per request and block")
    parser.add_argument("--create", action="store_true", help="make lp_bench_api if missing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return child(options.child)

    sys.path.insert(0, str(ROOT))
    from bench.api_queries import BY_NAME, TASK_BY_ID, UPDATE_TASK

    if options.create:
        from bench.api import create_database

        create_database(reuse=True)
    requests = [
        {"name": name, "document": BY_NAME[name].document, "variables": BY_NAME[name].variables}
        for name in FIXED
    ] + [
        {"name": query.name, "document": query.document, "variables": {}}
        for query in (TASK_BY_ID, UPDATE_TASK)
    ]
    figures: dict[str, dict[str, list[float]]] = {"base": {}, "this": {}}
    answers: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="before-after-") as folder:
        base = Path(folder) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(base), options.base],
                       cwd=ROOT, check=True)  # fmt: skip
        try:
            for block in range(options.blocks):
                for side, root in (("base", base), ("this", ROOT)):
                    plan = {"requests": requests, "count": options.requests, "seed": block}
                    done = subprocess.run(
                        [sys.executable, str(Path(__file__).resolve()), "--base", "-",
                         "--child", str(root)],
                        input=json.dumps(plan), capture_output=True, text=True, check=True,
                    )  # fmt: skip
                    for name, result in json.loads(done.stdout).items():
                        figures[side].setdefault(name, []).append(result["cpu_ms"])
                        answers.setdefault(name, {})[side] = (result["status"], result["answer"])
                print(f"block {block + 1} of {options.blocks} done", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           check=False)  # fmt: skip
    print(f"CPU ms per request, median of {options.blocks} blocks x {options.requests} requests;")
    print(f"base {options.base}, this: the working tree\n")
    print("| request | base | this | this / base |\n|---|---:|---:|---:|")
    for request in requests:
        name = request["name"]
        if answers[name]["base"] != answers[name]["this"]:
            print(f"| {name} | answers differ | | |")
            continue
        before = statistics.median(figures["base"][name])
        after = statistics.median(figures["this"][name])
        print(f"| {name} | {before:.2f} | {after:.2f} | {after / before:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
