"""What clients can make a worker keep or the database store is bounded (issue 22).

Documents of any size used to be parsed, validated, planned and recorded whole: a 240 KB comment
is one token. Now a request's document is bounded in bytes before it is parsed, every per-process
cache is keyed by a digest and bounded in entries and bytes, and the fallback record keeps at most
so many documents and bytes, counting the rest together.
"""

import math
import threading
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.schema import schema
from graphql_api.bounded import BoundedLRU, PendingCounts, deep_size, digest
from graphql_api.readpath import fallbacks
from graphql_api.readpath.index import index_of
from graphql_api.readpath.models import FallbackDocument, ReadFallback
from graphql_api.trusted_documents import parsed_documents, validations
from learningplatform.models import Course
from tests.factories import CourseFactory
from tests.helpers import DOCUMENTS, post

pytestmark = pytest.mark.django_db

FALLS_BACK = 'query Looked { node(id: "Q291cnNlOjE=") { id } }'  # the executor answers `node`
READ = "query Listed { courses(first: 2) { totalCount edges { node { id title } } } }"
INVALID = "query Broken { courses { nope } }"


def padded(document: str, size: int) -> str:
    """`document` grown to `size` bytes by a comment, with a unique first line."""
    head = f"# {uuid.uuid4().hex}\n{document}\n#"
    return head + "x" * (size - len(head.encode()))


def plans():
    return index_of(schema._schema).plans


@pytest.fixture
def recording(settings):
    """The fallback record on, starting empty in this process."""
    settings.GRAPHQL_RECORD_FALLBACKS = True
    fallbacks.recorder.clear()
    yield settings
    fallbacks.recorder.clear()


class TestDocumentSize:
    def test_the_default_is_the_largest_frontend_document_times_16_in_kib(self):
        largest = max(p.stat().st_size for p in DOCUMENTS.glob("*.graphql"))
        expected = math.ceil(16 * largest / 1024) * 1024
        assert django_settings.GRAPHQL_MAX_DOCUMENT_BYTES == expected

    @pytest.mark.parametrize("method", ["POST", "GET"])
    def test_a_document_over_the_limit_is_refused_before_parsing_and_sql(
        self, client, settings, method
    ):
        limit = settings.GRAPHQL_MAX_DOCUMENT_BYTES
        unparsable = padded("{ courses { ", limit + 1)  # a syntax error, never reported
        with CaptureQueriesContext(connection) as captured:
            if method == "POST":
                response = client.post(
                    "/graphql/", {"query": unparsable}, content_type="application/json"
                )
            else:
                response = client.get("/graphql/", {"query": unparsable}, HTTP_ACCEPT="*/*")
        assert response.status_code == 413
        assert response["Content-Type"].startswith("application/json")
        (error,) = response.json()["errors"]
        assert error == {
            "message": f"The GraphQL document is {limit + 1:,} bytes; this server takes documents "
            f"of at most {limit:,} bytes. Send a shorter document, or a trusted one by its "
            "documentId.",
            "extensions": {"code": "DOCUMENT_TOO_LARGE"},
        }
        assert captured.captured_queries == []
        assert all(key[0] != digest(unparsable) for key in parsed_documents.keys())

    def test_a_document_of_exactly_the_limit_runs(self, client, settings):
        body = post(client, padded(READ, settings.GRAPHQL_MAX_DOCUMENT_BYTES))
        assert body == {"data": {"courses": {"totalCount": 0, "edges": []}}}

    def test_bytes_are_counted_not_characters(self, client, settings):
        settings.GRAPHQL_MAX_DOCUMENT_BYTES = 2048
        document = READ + "\n# " + "é" * 1000  # 1,000 characters, 2,000 bytes
        response = client.post("/graphql/", {"query": document}, content_type="application/json")
        assert response.status_code == 413

    def test_a_refused_mutation_writes_nothing(self, client, as_user, instructor, settings):
        create = 'mutation { createCourse(input: {title: "Big"}) { course { id } } }'
        response = as_user(instructor).post(
            "/graphql/", {"query": padded(create, settings.GRAPHQL_MAX_DOCUMENT_BYTES + 1)},
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 413
        assert not Course.objects.exists()

    def test_trusted_documents_by_id_are_not_affected(self, client, settings):
        settings.GRAPHQL_MAX_DOCUMENT_BYTES = 1024
        big = max(DOCUMENTS.glob("*.graphql"), key=lambda p: p.stat().st_size)
        assert big.stat().st_size < 1024  # the limit never refuses a frontend document
        response = client.post(
            "/graphql/", {"documentId": "sha256:" + digest(big.read_text()), "variables": {}},
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 200


class TestBoundedLRU:
    def test_entries_are_bounded_least_recently_used_first_out(self):
        cache = BoundedLRU(max_entries=3, max_bytes=10**6, sizeof=lambda k, v: 1)
        for n in range(3):
            cache.put(n, str(n))
        cache.get(0)  # 0 is now the most recently used
        cache.put(3, "3")
        assert cache.keys() == [2, 0, 3]  # 1, the least recently used, went

    def test_bytes_are_bounded_and_accounted(self):
        cache = BoundedLRU(max_entries=100, max_bytes=100, sizeof=lambda k, v: len(v))
        for n in range(10):
            cache.put(n, "x" * 30)
            assert cache.bytes <= 100
        assert cache.keys() == [7, 8, 9] and cache.bytes == 90
        cache.put(8, "x" * 5)  # replaced: its old size goes
        assert cache.bytes == 65
        cache.forget(9)
        assert cache.bytes == 35 and cache.keys() == [7, 8]

    def test_an_entry_larger_than_the_whole_cache_is_not_kept(self):
        cache = BoundedLRU(max_entries=100, max_bytes=100, sizeof=lambda k, v: len(v))
        cache.put("small", "x" * 10)
        cache.put("huge", "x" * 101)
        assert cache.keys() == ["small"] and cache.bytes == 10

    def test_bounds_are_read_at_each_put_and_zero_entries_keeps_nothing(self):
        size = {"entries": 0}
        cache = BoundedLRU(
            max_entries=lambda: size["entries"], max_bytes=100, sizeof=lambda k, v: len(v)
        )
        cache.put("a", "x")
        assert len(cache) == 0
        size["entries"] = 2
        cache.put("a", "x")
        assert len(cache) == 1

    def test_threads_keep_the_accounting_exact(self):
        cache = BoundedLRU(max_entries=50, max_bytes=10_000, sizeof=lambda k, v: len(v))

        def work(offset: int) -> None:
            for n in range(2_000):
                cache.put((offset, n % 97), "x" * (n % 300))
                cache.get((offset, (n * 7) % 97))

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert cache.bytes == sum(len(v) for v in cache.values()) <= 10_000
        assert len(cache) <= 50


class TestDeepSize:
    def test_counts_what_a_value_holds_once_and_shared_objects_as_pointers(self):
        text = "x" * 10_000
        assert deep_size([text, text]) < 10_000 + 200  # the string once
        assert deep_size({"a": len}) < 400  # a builtin is shared: a pointer

    def test_a_parsed_document_grows_with_its_text(self):
        from graphql import parse

        small = deep_size(parse(READ), follow=("graphql.language",))
        large = deep_size(parse(padded(READ, 100_000)), follow=("graphql.language",))
        assert large - small >= 100_000  # the text, and its comment token's value


class TestPendingCounts:
    def test_keys_past_the_bound_are_counted_under_their_overflow_key(self):
        counts = PendingCounts(max_keys=3, max_bytes=10**6, overflow=lambda k: ("other", k[1]))
        now = timezone.now()
        for n in range(10):
            counts.add((f"doc{n}", "why"), now, size=10, detail=n)
        taken = counts.take()
        assert set(taken) == {("doc0", "why"), ("doc1", "why"), ("doc2", "why"), ("other", "why")}
        assert sum(c.uses for c in taken.values()) == 10
        assert taken[("other", "why")].detail is None and len(counts) == 0

    def test_bytes_past_the_bound_overflow_too(self):
        counts = PendingCounts(max_keys=100, max_bytes=1_000, overflow=lambda k: "other")
        for n in range(20):
            counts.add(f"k{n}", timezone.now(), size=200)
        assert counts.bytes <= 1_000
        assert sum(c.uses for c in counts.take().values()) == 20


class TestFallbackRecord:
    def test_a_document_is_stored_once_whatever_its_reasons(self, recording):
        for reason in ("first reason", "second reason", "first reason"):
            fallbacks.record(reason, FALLS_BACK, "Looked")
        fallbacks.flush_fallbacks()
        (stored,) = FallbackDocument.objects.all()
        assert (stored.digest, stored.text, stored.truncated) == (
            digest(FALLS_BACK),
            FALLS_BACK,
            False,
        )
        uses = dict(ReadFallback.objects.values_list("reason", "uses"))
        assert uses == {"first reason": 2, "second reason": 1}

    def test_a_long_document_is_stored_truncated(self, recording):
        document = padded(FALLS_BACK, 3 * fallbacks.TEXT_BYTES)
        fallbacks.record("why", document, "Looked")
        fallbacks.flush_fallbacks()
        (stored,) = FallbackDocument.objects.all()
        assert stored.truncated and stored.kept == fallbacks.TEXT_BYTES
        assert stored.size == len(document.encode()) and document.startswith(stored.text)

    def test_a_failed_write_is_kept_and_written_later_once(self, recording, monkeypatch):
        write, failures = fallbacks._write, []

        def failing_once(*args):
            if not failures:
                failures.append(args)
                raise DatabaseError("the database went away")
            write(*args)

        monkeypatch.setattr(fallbacks, "_write", failing_once)
        for document in (FALLS_BACK, READ, FALLS_BACK, FALLS_BACK):
            fallbacks.record("why", document, None)
        fallbacks.flush_fallbacks()  # fails: nothing written, the counts kept
        assert failures and not ReadFallback.objects.exists()
        assert not FallbackDocument.objects.exists()
        fallbacks.record("why", READ, None)
        fallbacks.flush_fallbacks()
        uses = dict(ReadFallback.objects.values_list("digest", "uses"))
        assert uses == {digest(FALLS_BACK): 3, digest(READ): 2}
        texts = dict(FallbackDocument.objects.values_list("digest", "text"))
        assert texts == {digest(FALLS_BACK): FALLS_BACK, digest(READ): READ}

    def test_a_fallback_costs_its_request_no_statement(self, client, recording):
        post(client, FALLS_BACK)  # the first of the process may be written after its response
        with CaptureQueriesContext(connection) as captured:
            post(client, padded(FALLS_BACK, 2_000))
        assert not any("readfallback" in q["sql"].lower() for q in captured.captured_queries)


@pytest.mark.slow  # 2,100 requests of the largest document: about 20 s of CPU
def test_thousands_of_distinct_large_documents_stay_within_every_bound(client, recording):
    """The attack of issue 22, scaled to a test: distinct documents of the largest size allowed,
    read-path queries, fallbacks and invalid ones, with small bounds so that they all fill."""
    recording.GRAPHQL_CACHE_BYTES = cache_bytes = 2 * 1024 * 1024
    recording.GRAPHQL_FALLBACK_DOCUMENTS = 25
    recording.GRAPHQL_FALLBACK_BYTES = fallback_bytes = 64 * 1024
    size = recording.GRAPHQL_MAX_DOCUMENT_BYTES
    CourseFactory.create_batch(2, status="PUBLISHED", visibility="PUBLIC")
    kinds = [READ, FALLS_BACK, INVALID]
    sent = {document: 0 for document in kinds}
    caches = {"plans": plans(), "parsed": parsed_documents, "validations": validations}
    largest = dict.fromkeys(caches, 0)
    for n in range(2_100):
        kind = kinds[n % 3]
        body = post(client, padded(kind, size))
        assert ("errors" in body) == (kind == INVALID), body
        sent[kind] += 1
        for name, cache in caches.items():
            largest[name] = max(largest[name], cache.bytes)
            assert len(cache) <= 256
        assert fallbacks.recorder.pending.bytes <= fallback_bytes
    assert all(biggest <= cache_bytes for biggest in largest.values()), largest
    assert largest["parsed"] > cache_bytes // 2  # they did fill: the bound was what held them
    fallbacks.flush_fallbacks()
    assert FallbackDocument.objects.count() <= 25
    assert FallbackDocument.objects.aggregate(kept=Sum("kept"))["kept"] <= fallback_bytes
    # Nothing is lost: every fallback is counted, the documents past the bounds as "other".
    assert ReadFallback.objects.aggregate(uses=Sum("uses"))["uses"] == sent[FALLS_BACK]
    assert ReadFallback.objects.get(digest=fallbacks.OTHER).uses >= sent[FALLS_BACK] - 25


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_each_recorded_text_once_cut_and_goes_back():
    before = [("graphql_api", "0001_read_fallbacks")]
    executor = MigrationExecutor(connection)
    head = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        old_fallback = old.get_model("graphql_api", "ReadFallback")
        long = padded(FALLS_BACK, 40_000)
        now = timezone.now()
        for reason, text, uses in [("a", FALLS_BACK, 3), ("b", FALLS_BACK, 2), ("a", long, 1)]:
            old_fallback.objects.create(
                digest=digest(text), reason=reason, document=text, uses=uses,
                first_seen=now, last_seen=now,
            )  # fmt: skip
        MigrationExecutor(connection).migrate(head)
        stored = {d.digest: d for d in FallbackDocument.objects.all()}
        assert set(stored) == {digest(FALLS_BACK), digest(long)}  # once each
        assert stored[digest(FALLS_BACK)].text == FALLS_BACK
        assert (stored[digest(long)].size, stored[digest(long)].kept) == (40_000, 16 * 1024)
        assert sorted(ReadFallback.objects.values_list("reason", "uses")) == [
            ("a", 1), ("a", 3), ("b", 2)
        ]  # fmt: skip
        MigrationExecutor(connection).migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        back = old.get_model("graphql_api", "ReadFallback").objects.values_list(
            "digest", "document"
        )
        assert {d: t for d, t in back} == {
            digest(FALLS_BACK): FALLS_BACK, digest(long): long[: 16 * 1024]
        }  # fmt: skip
    finally:
        MigrationExecutor(connection).migrate(head)
