"""Trusted documents: the frontend's documents shipped with the package, and the documents
client builds registered from their manifests (graphql_api/manifests.py), sent by id.

The GraphQL-over-HTTP persisted documents convention: a client sends
`{"documentId": "sha256:<hex>", "variables": {...}}` (POST, or GET for queries) instead of the
document's text; a shipped document's id is `sha256:` and the hex SHA-256 of the `.graphql`
file's bytes exactly as stored in graphql_api/documents/ (`manage.py trusted_documents` lists
them). Apollo's persisted-query link sends `{"extensions": {"persistedQuery": {"version": 1,
"sha256Hash": "<hex>"}}}` instead; both name shipped and registered documents alike. An unknown
id is answered with Apollo's PERSISTED_QUERY_NOT_FOUND and is never registered from a request:
only `manage.py trusted_documents import` registers, so a client cannot grow what is trusted.

With settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY on, the server runs nothing else: a `query` whose
text is not one of these documents is refused (GraphiQL and DEBUG keep accepting any document).
A registered document is looked up in the database (one indexed statement) and then trusted by
the process for settings.GRAPHQL_REGISTERED_DOCUMENTS_TTL seconds, so a revocation holds in
every process within that time (0: at once, a statement every request); the documents are kept
parsed, by their text's digest and by the id sent, in `BoundedLRU`s (`RegisteredCache`).

A trusted document is parsed when the folder is read, validated once per schema and rule set,
and its cost is bounded once per page size (`cost_bound`): `PreparedDocuments`, a schema
extension, hands those to each request instead of parsing, validating and costing again.
"""

import functools
import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from graphql import DocumentNode, parse
from strawberry.extensions import SchemaExtension

from graphql_api.bounded import BoundedLRU, deep_size, digest
from graphql_api.cost import document_cost
from graphql_api.library_internals import graphql_schema_of, validate_document

DOCUMENTS = Path(__file__).parent / "documents"
ID_PREFIX = "sha256:"


@dataclass
class TrustedDocument:
    """One stored document: its file's name, its text, its id and what is known of it."""

    name: str
    text: str
    id: str
    document: DocumentNode
    validation: dict = field(default_factory=dict)  # (schema, rules) -> errors
    cost_bounds: dict = field(default_factory=dict)  # (schema, page size) -> most objects

    def cost_bound(self, schema, page_size: int) -> int:
        """The most objects any variables can make this document return, at `page_size`."""
        key = (schema, page_size)
        if key not in self.cost_bounds:
            # Every variable as large as a page: _page_size caps what a client could ask for.
            every_variable = _Largest(page_size)
            self.cost_bounds[key] = max(
                (document_cost(schema, self.document, name, every_variable) for name in self.names),
                default=0,
            )
        return self.cost_bounds[key]

    @property
    def names(self) -> list[str | None]:
        return [
            d.name.value if d.name else None
            for d in self.document.definitions
            if d.kind == "operation_definition"
        ]


class _Largest(dict):
    """Variables that all hold `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        return self.size


def document_id(text: str) -> str:
    """The id of a document's text: `sha256:` and the hex digest of its UTF-8 bytes."""
    return ID_PREFIX + hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def trusted_documents() -> dict[str, TrustedDocument]:
    """Every stored document by id, read and parsed once per process."""
    found = {}
    for path in sorted(DOCUMENTS.glob("*.graphql")):
        text = path.read_bytes().decode()
        found[document_id(text)] = TrustedDocument(path.stem, text, document_id(text), parse(text))
    return found


def trusted_by_text(text: str | None) -> TrustedDocument | None:
    """The trusted document whose text this is exactly, if any is shipped or was prepared for
    this request (no SQL: whether a registered document may run was decided by
    `resolve_document`)."""
    if not isinstance(text, str):
        return None
    return _by_text().get(text) or registered_cache.get(text)


@functools.cache
def _by_text() -> dict[str, TrustedDocument]:
    return {d.text: d for d in trusted_documents().values()}


def only_trusted() -> bool:
    """Whether only trusted documents may run: the setting, unless developing (DEBUG, GraphiQL)."""
    return settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY and not settings.DEBUG and not settings.GRAPHIQL


class RegisteredCache:
    """Registered documents, parsed, kept by the SHA-256 of their text and by the id they were
    sent by (a digest too: `_DIGEST`), never by their text: two `BoundedLRU`, least recently used
    out first, bounded in entries and in bytes of text (a parsed document takes some ten times
    its text); `evicted` counts the documents that fell past either bound. A document is kept
    only once the database said it is registered, and `fresh` trusts it for
    `GRAPHQL_REGISTERED_DOCUMENTS_TTL` seconds after that."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 1 << 20, clock=time.monotonic):
        self.max_entries, self.max_bytes, self.clock = max_entries, max_bytes, clock
        # text digest -> (document, when the database confirmed it)
        self._documents = BoundedLRU(
            max_entries=max_entries,
            max_bytes=max_bytes,
            sizeof=lambda _key, kept: len(kept[0].text.encode()),
        )
        # id sent -> text digest; an id whose document went is a miss
        self._ids = BoundedLRU(
            max_entries=max_entries, max_bytes=max_bytes, sizeof=lambda key, kept: len(key + kept)
        )

    @property
    def evicted(self) -> int:
        return self._documents.evictions

    def get(self, text: str) -> TrustedDocument | None:
        """The document kept for that text, however long ago it was confirmed."""
        if not len(self._documents):
            return None  # nothing registered: no digest to compute
        kept = self._documents.get(digest(text))
        return None if kept is None else kept[0]

    def fresh(
        self, *, text: str | None = None, id_sent: str | None = None
    ) -> TrustedDocument | None:
        """The document of that text or id if the database confirmed it within the TTL."""
        ttl = settings.GRAPHQL_REGISTERED_DOCUMENTS_TTL
        key = self._ids.get(id_sent) if text is None else digest(text)
        kept = self._documents.get(key)
        if kept is None or ttl <= 0 or self.clock() - kept[1] >= ttl:
            return None
        return kept[0]

    def confirmed(self, text: str, id_sent: str | None = None) -> TrustedDocument:
        """The parsed document of a body the database just confirmed registered (sent by the id
        `id_sent`, if it was), kept if it fits the bounds."""
        key = digest(text)
        kept = self._documents.get(key)
        document = (
            kept[0]
            if kept is not None
            else TrustedDocument("registered", text, document_id(text), parse(text))
        )
        self._documents.put(key, (document, self.clock()))
        if id_sent is not None and key in self._documents:
            self._ids.put(id_sent, key)
        return document

    def clear(self) -> None:
        self._documents.clear()
        self._ids.clear()

    def __len__(self) -> int:
        return len(self._documents)


registered_cache = RegisteredCache()

# A hex digest as the tools write them: md5 (Relay's default), sha1 (Codegen's before 6), sha256.
_DIGEST = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}")


def registered_by_id(document_id_sent: str) -> TrustedDocument | None:
    """The registered, unrevoked document of that id (`sha256:<hex>` or the bare hex digest)."""
    from graphql_api.models import RegisteredDocument

    sent = document_id_sent.removeprefix(ID_PREFIX)
    if not _DIGEST.fullmatch(sent):
        return None  # no tool writes such an id: not worth a statement
    if (kept := registered_cache.fresh(id_sent=sent)) is not None:
        return kept
    bodies = RegisteredDocument.objects.filter(document_id=sent, revoked_at=None)
    body = next(iter(bodies.values_list("body", flat=True)[:1]), None)
    return None if body is None else registered_cache.confirmed(body, sent)


def registered_by_text(text: str) -> TrustedDocument | None:
    """The registered, unrevoked document whose body this text is exactly."""
    from graphql_api.models import RegisteredDocument

    if (kept := registered_cache.fresh(text=text)) is not None:
        return kept
    found = RegisteredDocument.objects.filter(sha256=digest(text), revoked_at=None)
    registered = text in found.values_list("body", flat=True)
    return registered_cache.confirmed(text) if registered else None


# Apollo's error codes (its persisted-query link retries or stops on them), and ours for a
# document refused in trusted-only mode. Request errors, before GraphQL runs: not FieldError codes.
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
NOT_TRUSTED = "DOCUMENT_NOT_TRUSTED"
BAD_REQUEST = "BAD_REQUEST"


class DocumentRefused(Exception):  # noqa: N818 - answered as the client's error
    """The request's document cannot run: `status`, a message the client can act on, a code."""

    def __init__(self, status: int, message: str, code: str = BAD_REQUEST) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def resolve_document(payload, extensions: dict | None = None) -> str | None:
    """The text to run for a request's `query`, `documentId` or Apollo `persistedQuery`
    extension; DocumentRefused if none may run."""
    document_id_sent, query = payload.get("documentId"), payload.get("query")
    persisted = (extensions or {}).get("persistedQuery")
    if document_id_sent is not None:
        if query is not None:
            raise DocumentRefused(400, "Send either `query` or `documentId`, not both.")
        if not isinstance(document_id_sent, str):
            raise DocumentRefused(400, "`documentId` must be a string such as 'sha256:<hex>'.")
        return _by_id(document_id_sent, "documentId").text
    if persisted is not None and query is None:
        return _by_id(_apollo_hash(persisted), "persistedQuery.sha256Hash").text
    # With its text (Apollo's retry after PERSISTED_QUERY_NOT_FOUND), a document is judged by
    # its text alone, as any other: the hash beside it registers nothing.
    if isinstance(query, str) and only_trusted() and not _trusted_text(query):
        raise DocumentRefused(
            403,
            "This server runs trusted documents only: send "
            '{"documentId": "sha256:...", "variables": {...}} with the id of a document that '
            "`manage.py trusted_documents` lists or a client's manifest registered.",
            NOT_TRUSTED,
        )
    return query


def _cache_bytes() -> int:
    return settings.GRAPHQL_CACHE_BYTES


CACHED_DOCUMENTS = 256  # parsed documents, and validation results, kept per process
# Keyed by the text's digest, never the text; per process, since Strawberry builds the extension
# for each request. A parsed document holds its text, tokens and nodes; a validation result
# holds its errors, which point into the document.
parsed_documents = BoundedLRU(
    max_entries=CACHED_DOCUMENTS,
    max_bytes=_cache_bytes,
    sizeof=lambda key, document: deep_size((key, document), follow=("graphql.language",)),
)
validations = BoundedLRU(
    max_entries=CACHED_DOCUMENTS,
    max_bytes=_cache_bytes,
    sizeof=lambda key, errors: deep_size((key[0], errors), follow=("graphql.",)),
)


def _trusted_text(query: str) -> bool:
    return query in _by_text() or registered_by_text(query) is not None


def _by_id(document_id_sent: str, name: str) -> TrustedDocument:
    trusted = trusted_documents().get(ID_PREFIX + document_id_sent.removeprefix(ID_PREFIX))
    if trusted is None:
        trusted = registered_by_id(document_id_sent)
    if trusted is None:
        raise DocumentRefused(
            400,
            f"PersistedQueryNotFound: unknown {name} {document_id_sent[:80]!r}. This server "
            "runs the documents `manage.py trusted_documents` lists and those registered from "
            "client manifests (`manage.py trusted_documents import`); register the client's "
            "manifest, or rebuild the client against them.",
            NOT_FOUND,
        )
    return trusted


def _apollo_hash(persisted) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise DocumentRefused(
            400,
            "PersistedQueryNotSupported: send extensions.persistedQuery as "
            '{"version": 1, "sha256Hash": "<hex>"}.',
            NOT_SUPPORTED,
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str):
        raise DocumentRefused(400, "`extensions.persistedQuery.sha256Hash` must be a string.")
    return digest


class PreparedDocuments(SchemaExtension):
    """The parser and validation caches, with trusted documents prepared once.

    A trusted document is parsed once (when the folder is read) and validated once per schema and
    rule set, whatever else passes through the bounded caches; any other document is parsed and
    validated through `parsed_documents` and `validations` (Strawberry's ParserCache and
    ValidationCache key on the whole text and document, and count entries only).
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        trusted = trusted_by_text(context.query)
        if trusted is not None:
            context.graphql_document = trusted.document
        else:
            key = (digest(context.query), tuple(sorted(context.parse_options.items())))
            document = parsed_documents.get(key)
            if document is None:
                document = parse(context.query, **context.parse_options)
                parsed_documents.put(key, document)
            context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, rules = graphql_schema_of(context.schema), tuple(context.validation_rules)
        trusted = trusted_by_text(context.query)
        if trusted is None:
            key = (digest(context.query), schema, rules)
            errors = validations.get(key)
            if errors is None:
                errors = validate_document(schema, context.graphql_document, rules)
                validations.put(key, errors)
            context.pre_execution_errors = errors
        else:
            key = (schema, rules)
            if key not in trusted.validation:
                trusted.validation[key] = validate_document(schema, trusted.document, rules)
            context.pre_execution_errors = trusted.validation[key]
        yield
