"""What a registered document costs against a shipped one, per request, in one process.

The same text (the course page, `course_detail.graphql`, over a course of 40 tasks) is sent
by its shipped id (no statement to find it) and by the id a client manifest registered it
under (one indexed statement to find it, and the revocation check with it), in alternating
rounds, through Django's test client with production settings and trusted-only mode on.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench_registered \\
        .venv/bin/python bench/registered_documents.py [--requests 300] [--rounds 5]
"""

import argparse
import hashlib
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
os.environ |= {"ALLOWED_HOSTS": "testserver", "GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "1", "DEBUG": "0"}
os.environ |= {"SECURE_SSL_REDIRECT": "0", "GRAPHIQL": "0"}

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from strawberry.relay import to_base64  # noqa: E402

from graphql_api.manifests import ManifestEntry, documents_register  # noqa: E402
from graphql_api.models import RegisteredDocument  # noqa: E402
from graphql_api.trusted_documents import DOCUMENTS, document_id  # noqa: E402
from learningplatform.models import Course, Task, User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per round and id (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    text = (DOCUMENTS / "course_detail.graphql").read_text()
    course = seed()
    md5 = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    RegisteredDocument.objects.filter(document_id=md5).delete()
    entry = ManifestEntry(md5, "md5", text, ("CourseDetail",))
    documents_register(entries=[entry], client="bench", release="1", manifest_format="relay")
    ids = {"shipped": document_id(text), "registered": md5}
    client = Client()
    variables = {"id": to_base64("Course", course.pk)}
    times: dict[str, list[float]] = {name: [] for name in ids}
    for round_number in range(args.rounds + 1):  # the first round warms up
        for name, sent in ids.items():
            start = time.perf_counter()
            for _ in range(args.requests):
                body = {"documentId": sent, "variables": variables}
                response = client.post("/graphql/", body, content_type="application/json")
                assert response.status_code == 200, response.content
            if round_number:
                times[name].append((time.perf_counter() - start) / args.requests * 1000)
    shipped, registered = (statistics.median(times[name]) for name in ("shipped", "registered"))
    print(f"shipped id:    {shipped:.3f} ms a request (median of {args.rounds} rounds)")
    print(f"registered id: {registered:.3f} ms a request")
    print(f"registered / shipped: {registered / shipped:.3f}")


def seed() -> Course:
    instructor, _ = User.objects.get_or_create(username="bench-instructor")
    course, created = Course.objects.get_or_create(
        title="Bench course", instructor=instructor,
        defaults={"description": "d", "status": "PUBLISHED", "visibility": "PUBLIC"},
    )  # fmt: skip
    if created:
        Task.objects.bulk_create(
            Task(course=course, title=f"Task {i}", description="d", task_type="LEARNING",
                 status="PUBLISHED")
            for i in range(40)
        )  # fmt: skip
    return course


if __name__ == "__main__":
    main()
