"""Client manifests: registered by `trusted_documents import`, sent by Apollo's hash or by
documentId, listed and revoked; malformed manifests refused whole, naming the entry.

The fixtures in manifests/ were written by the tools themselves, from this repository's
documents: Codegen's client preset (6.2) and Apollo's generate-persisted-query-manifest (1.4)
by tests/js/client (`npm run codegen`, `npm run apollo-manifest`), and the Relay compiler (18,
`persistConfig` with its default MD5) from two queries of its own.
"""

import hashlib
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from graphql_api.bounded import digest
from graphql_api.models import RegisteredDocument
from graphql_api.trusted_documents import RegisteredCache, registered_cache, trusted_documents
from tests.factories import CourseFactory, TaskFactory
from tests.helpers import global_id

pytestmark = pytest.mark.django_db

MANIFESTS = Path(__file__).parent / "manifests"
CODEGEN = MANIFESTS / "codegen-persisted-documents.json"
APOLLO = MANIFESTS / "apollo-persisted-query-manifest.json"
RELAY = MANIFESTS / "relay-persisted_queries.json"

CATALOGUE = "query Catalogue { courses(first: 2) { totalCount edges { node { title } } } }"
DETAIL = "query Detail($id: ID!) { course(id: $id) { title } }"


@pytest.fixture
def published():
    course = CourseFactory(status="PUBLISHED", visibility="PUBLIC", title="Open course")
    TaskFactory(course=course, status="PUBLISHED")
    return course


def register(path: Path, *options: str) -> str:
    out = StringIO()
    call_command("trusted_documents", "import", str(path), *options, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, manifest, name: str = "manifest.json") -> Path:
    path = tmp_path / name
    path.write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    return path


def hexdigest(algorithm: str, text: str) -> str:
    return hashlib.new(algorithm, text.encode()).hexdigest()


def apollo_manifest(*operations: dict) -> dict:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": list(operations),
    }


def apollo_operation(body: str, name: str = "Catalogue") -> dict:
    return {"id": hexdigest("sha256", body), "name": name, "type": "query", "body": body}


def send(client, payload: dict, method: str = "post"):
    if method == "get":
        query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
        return client.get("/graphql/", query, HTTP_ACCEPT="application/json")
    return client.post("/graphql/", payload, content_type="application/json")


def by_hash(digest: str) -> dict:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}


# --- Each tool's manifest, its ids as the tool computes them


def test_codegen_manifest_runs_by_documentId_and_by_apollo_hash(trusted_only, client, published):
    assert " 7 registered, 0 already registered" in register(CODEGEN, "--client", "web")
    manifest = json.loads(CODEGEN.read_text())
    catalogue_id = next(key for key, body in manifest.items() if "CourseCatalogue" in body)
    for payload in [
        {"documentId": catalogue_id},
        by_hash(catalogue_id.removeprefix("sha256:")),
        by_hash(catalogue_id),  # Apollo's link, given Codegen's hash as it is written
    ]:
        for method in ["post", "get"]:
            response = send(client, payload | {"variables": {"first": 5}}, method)
            assert response.status_code == 200, response.content
            assert response.json()["data"]["courses"]["totalCount"] == 1


def test_apollo_manifest_runs_as_apollo_sends_it_with_typename(trusted_only, client, published):
    assert " 7 registered, " in register(APOLLO, "--client", "web", "--release", "2.1.0")
    operations = json.loads(APOLLO.read_text())["operations"]
    detail = next(o for o in operations if o["name"] == "CourseDetail")
    assert "__typename" in detail["body"]
    variables = {"id": global_id(published)}
    for method in ["post", "get"]:
        response = send(client, by_hash(detail["id"]) | {"variables": variables}, method)
        assert response.status_code == 200, response.content
        assert response.json()["data"]["course"]["__typename"] == "Course"
    # Apollo Client without the persisted-query link sends the text: trusted, being registered.
    as_text = send(client, {"query": detail["body"], "variables": variables})
    assert as_text.status_code == 200
    assert as_text.json()["data"]["course"]["title"] == "Open course"


def test_the_frontends_own_document_with_typename_is_refused_until_registered(
    trusted_only, client, published
):
    body = next(o["body"] for o in json.loads(APOLLO.read_text())["operations"])
    assert send(client, {"query": body}).status_code == 403
    register(APOLLO)
    assert send(client, {"query": body}).status_code == 200


def test_relay_query_map_from_the_compiler(trusted_only, client, published):
    register(RELAY, "--client", "ios", "--format", "relay")
    for document_id, text in json.loads(RELAY.read_text()).items():
        assert hexdigest("md5", text) == document_id  # the compiler's default
        if "CatalogueQuery" in text:
            response = send(client, {"documentId": document_id})
            assert response.json()["data"]["courses"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("manifest_format", "algorithm", "prefix"),
    [
        ("codegen", "sha256", "sha256:"),  # the client preset since 6
        ("codegen", "sha1", ""),  # hashAlgorithm: "sha1", and before 6
        ("relay", "md5", ""),
        ("relay", "sha1", ""),
        ("relay", "sha256", ""),
    ],
)
def test_each_tools_algorithms(
    trusted_only, client, published, tmp_path, manifest_format, algorithm, prefix
):
    key = prefix + hexdigest(algorithm, CATALOGUE)
    register(write(tmp_path, {key: CATALOGUE}), "--format", manifest_format)
    (row,) = RegisteredDocument.objects.all()
    assert (row.document_id, row.algorithm) == (key.removeprefix("sha256:"), algorithm)
    response = send(client, {"documentId": key})
    assert response.json()["data"]["courses"]["totalCount"] == 1


def test_our_own_json_listing_imports(tmp_path):
    out = StringIO()
    call_command("trusted_documents", "--json", stdout=out)
    assert f" {len(trusted_documents())} registered" in register(write(tmp_path, out.getvalue()))


# --- Bad manifests: refused whole, naming the entry

GOOD_KEY = "sha256:" + hexdigest("sha256", CATALOGUE)
WRONG_HASH = "sha256:" + hexdigest("sha256", CATALOGUE + " ")
BROKEN = "query { courses(first: 1) { totalCount "
INVALID = "query { courses(first: 1) { noSuchField } }"

BAD_MANIFESTS = {
    "not JSON": ("{", "not JSON"),
    "a list": ([CATALOGUE], "must be a JSON object"),
    "unknown format": ({"format": "persisted-queries", "version": 1, "operations": []}, "Unknown manifest format 'persisted-queries'"),
    "apollo version 2": ({"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}, "version 2"),
    "operations not a list": ({"format": "apollo-persisted-query-manifest", "version": 1, "operations": {}}, "must be a list"),
    "empty": ({}, "holds no documents"),
    "body not a string": ({GOOD_KEY: CATALOGUE, "sha256:" + "a" * 64: 5}, f"Entry 'sha256:{'a' * 64}': the document must be a string"),
    "hash does not match": ({GOOD_KEY: CATALOGUE, WRONG_HASH: CATALOGUE}, f"Entry '{WRONG_HASH}': the id does not match"),
    "not a digest": ({GOOD_KEY: CATALOGUE, "catalogue": CATALOGUE}, "Entry 'catalogue': not an id"),
    "upper-case digest": ({GOOD_KEY: CATALOGUE, GOOD_KEY.upper(): CATALOGUE}, "not an id"),
    "does not parse": ({GOOD_KEY: CATALOGUE, hexdigest("md5", BROKEN): BROKEN}, f"Entry '{hexdigest('md5', BROKEN)}': the document does not parse"),
    "does not validate": ({GOOD_KEY: CATALOGUE, hexdigest("sha1", INVALID): INVALID}, f"Entry '{hexdigest('sha1', INVALID)}': the document is not valid against this server's schema: Cannot query field 'noSuchField'"),
    "apollo id mismatch": (apollo_manifest(apollo_operation(CATALOGUE), {**apollo_operation(DETAIL, "Detail"), "id": hexdigest("sha256", CATALOGUE + "x")}), "the id does not match"),
    "apollo duplicate id": (apollo_manifest(apollo_operation(CATALOGUE), {**apollo_operation(DETAIL, "Detail"), "id": hexdigest("sha256", CATALOGUE)}), f"Entry '{hexdigest('sha256', CATALOGUE)}'"),
    "apollo name not in body": (apollo_manifest(apollo_operation(CATALOGUE, "Other")), "its name 'Other' is not an operation"),
    "apollo entry without id": (apollo_manifest({"body": CATALOGUE}), "Entry 0: an operation must be an object"),
    "sha1 in an apollo manifest": (apollo_manifest({**apollo_operation(CATALOGUE), "id": hexdigest("sha1", CATALOGUE)}), "not an id this format's tool computes (sha256"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_MANIFESTS)
def test_a_bad_manifest_is_refused_naming_the_entry_and_nothing_is_registered(tmp_path, case):
    manifest, message = BAD_MANIFESTS[case]
    with pytest.raises(CommandError, match=re.escape(message)) as refused:
        register(write(tmp_path, manifest))
    assert "Traceback" not in str(refused.value)
    assert not RegisteredDocument.objects.exists()


def id_map_text(*pairs: tuple[str, str]) -> str:
    """An id map's text, which may hold one key twice (a dict cannot)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}"


def test_duplicate_ids_with_different_bodies_in_an_id_map(tmp_path):
    text = id_map_text((GOOD_KEY, CATALOGUE), (GOOD_KEY, DETAIL))
    with pytest.raises(CommandError, match=f"Entry '{GOOD_KEY}': the id appears twice"):
        register(write(tmp_path, text))
    assert not RegisteredDocument.objects.exists()
    # The same entry twice, with the same body, is one document.
    text = id_map_text((GOOD_KEY, CATALOGUE), (GOOD_KEY, CATALOGUE))
    assert " 1 registered" in register(write(tmp_path, text))


@pytest.mark.parametrize("forced", ["apollo", "relay"])
def test_a_manifest_of_another_format_than_asked_is_refused(tmp_path, forced):
    manifest = (
        apollo_manifest(apollo_operation(CATALOGUE)) if forced == "relay" else {GOOD_KEY: CATALOGUE}
    )
    with pytest.raises(CommandError):
        register(write(tmp_path, manifest), "--format", forced)
    assert not RegisteredDocument.objects.exists()


@pytest.mark.parametrize("option", ["--client", "--release"])
@pytest.mark.parametrize("value", ["", "x" * 101])
def test_a_client_or_release_name_out_of_bounds(tmp_path, option, value):
    with pytest.raises(CommandError, match="must be 1 to 100 characters"):
        register(write(tmp_path, {GOOD_KEY: CATALOGUE}), option, value)
    assert not RegisteredDocument.objects.exists()


def test_a_registered_mutation_runs_by_post_only(trusted_only, as_user, instructor, tmp_path):
    course = CourseFactory(instructor=instructor)
    register(APOLLO)
    create = next(
        o for o in json.loads(APOLLO.read_text())["operations"] if o["name"] == "TaskEditorCreate"
    )
    client = as_user(instructor)
    client.get("/graphql/", {"documentId": GOOD_KEY})  # the csrftoken cookie (an unknown id)
    task = {"courseId": global_id(course), "title": "By hash", "taskType": "LEARNING"}
    payload = by_hash(create["id"]) | {"variables": {"input": task}}
    assert send(client, payload, "get").status_code in {400, 405}
    assert not course.tasks.exists()
    response = client.post(
        "/graphql/", payload, content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )  # fmt: skip
    assert response.json()["data"]["createTask"]["errors"] == []
    assert list(course.tasks.values_list("title", flat=True)) == ["By hash"]


def test_unreadable_files(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        register(tmp_path / "missing.json")
    (tmp_path / "latin1.json").write_bytes(b'{"\xe9": 1}')
    with pytest.raises(CommandError, match="not UTF-8"):
        register(tmp_path / "latin1.json")


# --- Never registered from a request; revoked at once


@pytest.mark.parametrize("mode", ["trusted-only", "any document"])
def test_an_unknown_hash_is_apollos_not_found_and_registers_nothing(settings, client, mode):
    settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY = mode == "trusted-only"
    settings.DEBUG = settings.GRAPHIQL = False
    digest = hexdigest("sha256", CATALOGUE)
    for method in ["post", "get"]:
        response = send(client, by_hash(digest), method)
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}
        assert digest in error["message"] and "Traceback" not in error["message"]
    # Apollo's retry sends the text with the hash: it runs only where any document may, and
    # registers nothing either way.
    retry = send(client, by_hash(digest) | {"query": CATALOGUE})
    assert retry.status_code == (403 if mode == "trusted-only" else 200)
    assert send(client, by_hash(digest)).status_code == 400
    assert not RegisteredDocument.objects.exists()


@pytest.mark.parametrize(
    "persisted",
    [
        {"version": 2, "sha256Hash": "ab"},
        {"sha256Hash": "ab"},
        "sha256:ab",
        {"version": 1, "sha256Hash": 5},
    ],
)
def test_a_malformed_persisted_query_extension(client, persisted):
    response = send(client, {"extensions": {"persistedQuery": persisted}})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] in {"PERSISTED_QUERY_NOT_SUPPORTED", "BAD_REQUEST"}
    assert "persistedQuery" in error["message"]


def test_a_lookup_is_one_indexed_statement_and_garbage_none(client):
    with CaptureQueriesContext(connection) as captured:
        send(client, {"documentId": "sha256:" + "0" * 64})
    (lookup,) = captured.captured_queries
    assert "graphql_api_registereddocument" in lookup["sql"] and "document_id" in lookup["sql"]
    for garbage in ["sha256:" + "0" * 63, "x" * 10_000, "sha256:" + "G" * 64, ""]:
        with CaptureQueriesContext(connection) as captured:
            response = send(client, {"documentId": garbage})
        assert response.status_code == 400 and captured.captured_queries == []


def test_revoked_documents_are_refused_at_once_without_a_ttl(
    trusted_only, client, published, tmp_path
):
    key = GOOD_KEY
    register(write(tmp_path, {key: CATALOGUE}), "--client", "web", "--release", "1")
    register(write(tmp_path, {hexdigest("md5", DETAIL): DETAIL}, "ios.json"), "--client", "ios")
    assert send(client, {"documentId": key}).status_code == 200  # parsed and kept in the cache
    out = StringIO()
    call_command("trusted_documents", "revoke", key, stdout=out)
    assert "Revoked 1 document(s)." in out.getvalue()
    for payload in [{"documentId": key}, by_hash(key), {"query": CATALOGUE}]:
        assert send(client, payload).status_code in {400, 403}
    # Registered again by a later release; revoking a client's release leaves other clients'.
    assert "1 revoked before and registered again" in register(
        write(tmp_path, {key: CATALOGUE}), "--client", "web", "--release", "2"
    )
    assert send(client, {"documentId": key}).status_code == 200
    call_command("trusted_documents", "revoke", "--client", "web", "--release", "2", stdout=out)
    assert send(client, {"documentId": key}).status_code == 400
    detail = send(
        client, {"documentId": hexdigest("md5", DETAIL), "variables": {"id": global_id(published)}}
    )
    assert detail.json()["data"]["course"]["title"] == "Open course"


def test_revoke_refuses_unknown_ids_and_revokes_nothing(tmp_path):
    register(write(tmp_path, {GOOD_KEY: CATALOGUE}))
    with pytest.raises(CommandError, match="No registered document has the id 'abc'"):
        call_command("trusted_documents", "revoke", GOOD_KEY, "abc")
    with pytest.raises(CommandError, match="Name the documents to revoke"):
        call_command("trusted_documents", "revoke")
    assert RegisteredDocument.objects.filter(revoked_at=None).count() == 1


def test_listing_registered_documents(tmp_path):
    register(CODEGEN, "--client", "web", "--release", "1.0")
    register(RELAY, "--client", "ios", "--release", "7")
    call_command("trusted_documents", "revoke", "--client", "ios")
    out = StringIO()
    call_command("trusted_documents", "registered", "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {(r["client"], r["release"]) for r in rows} == {("web", "1.0")}
    assert "CourseCatalogue" in {r["operation_names"] for r in rows}
    out = StringIO()
    call_command("trusted_documents", "registered", "--revoked", "--client", "ios", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all("ios 7" in line and "revoked" in line for line in lines)
    # The shipped documents are listed as before.
    out = StringIO()
    call_command("trusted_documents", stdout=out)
    assert len(out.getvalue().splitlines()) == len(trusted_documents())


def test_a_release_defaults_to_the_manifests_digest(tmp_path):
    path = write(tmp_path, {GOOD_KEY: CATALOGUE})
    register(path)
    (row,) = RegisteredDocument.objects.all()
    assert row.release == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert (row.client, row.manifest_format) == ("frontend", "codegen/relay")


# --- The per-process cache of registered documents is bounded


def test_the_cache_is_bounded_in_entries_and_bytes(settings):
    settings.GRAPHQL_REGISTERED_DOCUMENTS_TTL = 60
    cache = RegisteredCache(max_entries=3, max_bytes=1_000)
    texts = [f"query Q{i} {{ me {{ id }} }}" for i in range(5)]
    for number, text in enumerate(texts):
        cache.confirmed(text, f"{number:032x}")
    assert [t for t in texts if cache.get(t)] == texts[2:] and cache.evicted == 2
    assert cache.fresh(id_sent=f"{4:032x}") is cache.get(texts[4])
    assert cache.fresh(id_sent=f"{0:032x}") is None  # its id and its text are gone
    large = "query Large { me { id } }" + " " * 600
    cache.confirmed(large)
    cache.confirmed(large.replace("Large", "Other"))  # the two do not fit 1,000 bytes
    assert cache.get(large) is None and cache.evicted == 6
    assert cache.fresh(id_sent=f"{4:032x}") is None  # its text went: asked again
    huge = "#" * 2_000 + "\n{ me { id } }"
    assert cache.confirmed(huge).document  # too large: used, not kept
    assert cache.get(huge) is None


def test_many_registered_documents_stay_within_the_bound(trusted_only, client, tmp_path):
    bodies = [f"query Q{i} {{ courses(first: {i + 1}) {{ totalCount }} }}" for i in range(300)]
    register(write(tmp_path, {hexdigest("sha256", b): b for b in bodies}))
    registered_cache.clear()
    for body in bodies:
        assert send(client, by_hash(hexdigest("sha256", body))).status_code == 200
    assert len(registered_cache) <= registered_cache.max_entries
    assert registered_cache.evicted >= 300 - registered_cache.max_entries
    # Kept by digests (the text's SHA-256, the id sent), never by a text.
    keys = registered_cache._documents.keys() + registered_cache._ids.keys()
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert {digest(body) for body in bodies} >= set(registered_cache._documents.keys())


def test_within_the_ttl_a_process_trusts_what_the_database_confirmed(
    trusted_only, client, published, tmp_path, monkeypatch
):
    trusted_only.GRAPHQL_REGISTERED_DOCUMENTS_TTL = 10
    now = [1_000.0]
    monkeypatch.setattr(registered_cache, "clock", lambda: now[0])
    registered_cache.clear()
    register(write(tmp_path, {GOOD_KEY: CATALOGUE}))

    def statements(payload: dict) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            response = send(client, payload)
        return response.status_code, [q["sql"] for q in captured.captured_queries]

    for payload in [{"documentId": GOOD_KEY}, {"query": CATALOGUE}]:
        registered_cache.clear()
        status, first = statements(payload)
        assert status == 200 and any("registereddocument" in sql for sql in first)
        status, again = statements(payload)
        assert status == 200 and not any("registereddocument" in sql for sql in again)
    assert statements({"documentId": GOOD_KEY})[0] == 200  # by id again, confirmed now
    call_command("trusted_documents", "revoke", GOOD_KEY, stdout=StringIO())
    now[0] += 9.9
    assert statements({"documentId": GOOD_KEY})[0] == 200  # trusted a little longer
    now[0] += 0.1
    assert statements({"documentId": GOOD_KEY})[0] == 400  # then asked again, and refused
    assert statements({"query": CATALOGUE})[0] == 403
    # An unknown id is never kept: it is asked again, however often it is sent.
    unknown = {"documentId": "sha256:" + "0" * 64}
    assert [statements(unknown) for _ in range(2)] == [(400, [statements(unknown)[1][0]])] * 2
