"""Trusted documents: the frontend's GraphQL documents, shipped with the package, sent by id.

The GraphQL-over-HTTP persisted documents convention: a client sends
`{"documentId": "sha256:<hex>", "variables": {...}}` (POST, or GET for queries) instead of the
document's text; the id is `sha256:` and the hex SHA-256 of the `.graphql` file's bytes exactly
as stored in graphql_api/documents/. `manage.py trusted_documents` lists them for client builds.

With settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY on, the server runs nothing else: a `query` whose
text is not one of these documents is refused (GraphiQL and DEBUG keep accepting any document).

A trusted document is parsed when the folder is read, validated once per schema and rule set,
and its cost is bounded once per page size (`cost_bound`): `PreparedDocuments`, a schema
extension, hands those to each request instead of parsing, validating and costing again.
"""

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from graphql import DocumentNode, parse
from strawberry.extensions import SchemaExtension

from graphql_api.bounded import BoundedLRU, deep_size, digest
from graphql_api.readpath.internals import validate_document

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
        from graphql_api.limits import document_cost

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
    """The trusted document whose text this is exactly, if any."""
    return _by_text().get(text) if isinstance(text, str) else None


@functools.cache
def _by_text() -> dict[str, TrustedDocument]:
    return {d.text: d for d in trusted_documents().values()}


def only_trusted() -> bool:
    """Whether only trusted documents may run: the setting, unless developing (DEBUG, GraphiQL)."""
    return settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY and not settings.DEBUG and not settings.GRAPHIQL


class DocumentRefused(Exception):  # noqa: N818 - answered as the client's error
    """The request's document cannot run: `status`, a message the client can act on, a code."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def resolve_document(payload) -> str | None:
    """The text to run for a request's `query` or `documentId`; DocumentRefused if none may."""
    document_id_sent, query = payload.get("documentId"), payload.get("query")
    if document_id_sent is not None:
        if query is not None:
            raise DocumentRefused(400, "Send either `query` or `documentId`, not both.")
        if not isinstance(document_id_sent, str):
            raise DocumentRefused(400, "`documentId` must be a string such as 'sha256:<hex>'.")
        trusted = trusted_documents().get(document_id_sent)
        if trusted is None:
            raise DocumentRefused(
                400,
                f"Unknown documentId {document_id_sent[:80]!r}: this server knows only the "
                "documents `manage.py trusted_documents` lists; rebuild the client against them.",
            )
        return trusted.text
    if isinstance(query, str) and only_trusted() and trusted_by_text(query) is None:
        raise DocumentRefused(
            403,
            "This server runs trusted documents only: send "
            '{"documentId": "sha256:...", "variables": {...}} with an id that '
            "`manage.py trusted_documents` lists.",
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
        schema, rules = context.schema._schema, tuple(context.validation_rules)
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
