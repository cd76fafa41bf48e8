"""Client manifests: the persisted documents a client's build wrote, registered as trusted.

Three tools write them, and each computes its ids in its own way; an entry is registered only if
its id is what its tool computes from its body:

- GraphQL Codegen's client preset, `persisted-documents.json`: `{"sha256:<hex>": body}` (sha1
  hex without a prefix before version 6, or with `hashAlgorithm: "sha1"`);
- Apollo's `generate-persisted-query-manifest`: `{"format": "apollo-persisted-query-manifest",
  "version": 1, "operations": [{"id", "name", "type", "body"}]}`, id the sha256 hex of body;
- the Relay compiler's query map, `{id: text}`, id the md5 (its default), sha1 or sha256 hex.

A manifest is registered whole or not at all: the first entry at fault is named and nothing of
the manifest is written. Ids are stored as the bare hex digest, which is what Apollo's link
sends, and what `documentId: "sha256:<hex>"` names.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, validate

from graphql_api.models import RegisteredDocument
from graphql_api.trusted_documents import ID_PREFIX

APOLLO_FORMAT = "apollo-persisted-query-manifest"
FORMATS = ("apollo", "codegen", "relay")
ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256"}  # by the length of the hex digest
# What each tool can write (Codegen's `hashAlgorithm` is sha256 or sha1; Relay's adds md5).
TOOL_ALGORITHMS = {
    "apollo": {"sha256"},
    "codegen": {"sha256", "sha1"},
    "relay": {"md5", "sha1", "sha256"},
}
_HEX = re.compile(r"[0-9a-f]+")


class ManifestError(Exception):
    """The manifest cannot be registered; the message names the entry at fault."""


@dataclass(frozen=True)
class ManifestEntry:
    """One document of a manifest, its id checked against its body."""

    document_id: str  # the bare hex digest
    algorithm: str
    body: str
    operation_names: tuple[str, ...]


@dataclass(frozen=True)
class Registration:
    """What an import did: new documents, ones already registered, revoked ones restored."""

    manifest_format: str
    registered: int
    unchanged: int
    restored: int


def manifest_read(
    *, text: str, schema: GraphQLSchema, manifest_format: str | None = None
) -> tuple[str, list[ManifestEntry]]:
    """The format and entries of a manifest's text, each parsed, validated and its id checked."""
    try:
        manifest = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except ValueError as error:
        raise ManifestError(f"The manifest is not JSON: {error}.") from None
    if not isinstance(manifest, dict):
        raise ManifestError(
            "The manifest must be a JSON object; see `trusted_documents import -h`."
        )
    if "format" in manifest or manifest_format == "apollo":
        found_format, pairs = "apollo", _apollo_pairs(manifest)
    else:
        found_format = manifest_format or "codegen/relay"
        pairs = [(key, body, None) for key, body in manifest.items()]
    if manifest_format not in (None, found_format):
        raise ManifestError(f"The manifest is not in the {manifest_format} format.")
    if not pairs:
        raise ManifestError("The manifest holds no documents.")
    allowed = TOOL_ALGORITHMS.get(found_format, TOOL_ALGORITHMS["relay"])
    entries: dict[str, ManifestEntry] = {}
    for key, body, name in pairs:
        entry = _entry(key, body, name, schema, allowed)
        known = entries.get(entry.document_id)
        if known is not None and known.body != entry.body:
            raise ManifestError(f"Entry {key!r}: the id appears twice, with different bodies.")
        entries[entry.document_id] = entry
    return found_format, list(entries.values())


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found and found[key] != value:
            raise ManifestError(f"Entry {key!r}: the id appears twice, with different bodies.")
        found[key] = value
    return found


def _apollo_pairs(manifest: dict) -> list[tuple[str, object, object]]:
    if manifest.get("format") != APOLLO_FORMAT or manifest.get("version") != 1:
        raise ManifestError(
            f"Unknown manifest format {manifest.get('format')!r} version "
            f"{manifest.get('version')!r}: expected {APOLLO_FORMAT!r} version 1, or an id map "
            "{id: document} (Codegen's persisted-documents.json, Relay's query map)."
        )
    operations = manifest.get("operations")
    if not isinstance(operations, list):
        raise ManifestError("The manifest's `operations` must be a list.")
    pairs = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict) or not isinstance(operation.get("id"), str):
            raise ManifestError(f"Entry {index}: an operation must be an object with a string id.")
        pairs.append((operation["id"], operation.get("body"), operation.get("name")))
    return pairs


def _entry(key: str, body, name, schema: GraphQLSchema, allowed: set[str]) -> ManifestEntry:
    if not isinstance(body, str):
        raise ManifestError(f"Entry {key!r}: the document must be a string.")
    digest = key.removeprefix(ID_PREFIX)
    algorithm = ALGORITHMS.get(len(digest)) if _HEX.fullmatch(digest) else None
    if key.startswith(ID_PREFIX):
        algorithm = algorithm if algorithm == "sha256" else None
    if algorithm not in allowed:
        raise ManifestError(
            f"Entry {key!r}: not an id this format's tool computes ({', '.join(sorted(allowed))} "
            "hex digest of the document, lower case; sha256 may be written 'sha256:<hex>')."
        )
    computed = hashlib.new(algorithm, body.encode(), usedforsecurity=False).hexdigest()
    if computed != digest:
        raise ManifestError(
            f"Entry {key!r}: the id does not match its document (its {algorithm} is {computed})."
        )
    try:
        document = parse(body)
    except GraphQLError as error:
        raise ManifestError(
            f"Entry {key!r}: the document does not parse: {error.message}"
        ) from None
    if errors := validate(schema, document):
        raise ManifestError(
            f"Entry {key!r}: the document is not valid against this server's schema: "
            f"{errors[0].message}"
        )
    names = tuple(
        d.name.value if d.name else ""
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
    if name is not None and name not in names:
        raise ManifestError(f"Entry {key!r}: its name {name!r} is not an operation of its body.")
    return ManifestEntry(digest, algorithm, body, names)


def documents_register(
    *, entries: list[ManifestEntry], client: str, release: str, manifest_format: str
) -> Registration:
    """Register a manifest's documents for `client`'s `release`, all of them or none.

    A document already registered stays as it was (with the client and release that first
    registered it); a revoked one is registered again, for this release.
    """
    for name, value in [("client", client), ("release", release)]:
        if not value or len(value) > 100:
            raise ManifestError(f"The {name} must be 1 to 100 characters; got {len(value)}.")
    now = timezone.now()
    counts = {"registered": 0, "unchanged": 0, "restored": 0}
    with transaction.atomic():
        existing = RegisteredDocument.objects.select_for_update().in_bulk(
            [e.document_id for e in entries], field_name="document_id"
        )
        new = []
        for entry in entries:
            known = existing.get(entry.document_id)
            if known is None:
                new.append(
                    RegisteredDocument(
                        document_id=entry.document_id, algorithm=entry.algorithm,
                        sha256=hashlib.sha256(entry.body.encode()).hexdigest(), body=entry.body,
                        operation_names=", ".join(entry.operation_names)[:500], client=client,
                        release=release, manifest_format=manifest_format, registered_at=now,
                    )
                )  # fmt: skip
                counts["registered"] += 1
            elif known.body != entry.body:  # a different body of the same md5 or sha1
                raise ManifestError(
                    f"Entry {entry.document_id!r}: registered already, with another body."
                )
            elif known.revoked_at is not None:
                known.revoked_at, known.registered_at = None, now
                known.client, known.release = client, release
                known.save(update_fields=["revoked_at", "registered_at", "client", "release"])
                counts["restored"] += 1
            else:
                counts["unchanged"] += 1
        RegisteredDocument.objects.bulk_create(new)
    return Registration(manifest_format, **counts)


def documents_revoke(
    *, document_ids: list[str] = (), client: str | None = None, release: str | None = None
) -> int:
    """Revoke registered documents by id, or every one a client (and release) registered."""
    active = RegisteredDocument.objects.filter(revoked_at=None)
    if document_ids:
        digests = [d.removeprefix(ID_PREFIX) for d in document_ids]
        known = set(
            RegisteredDocument.objects.filter(document_id__in=digests).values_list(
                "document_id", flat=True
            )
        )
        if missing := [d for d in document_ids if d.removeprefix(ID_PREFIX) not in known]:
            raise ManifestError(f"No registered document has the id {missing[0]!r}.")
        active = active.filter(document_id__in=digests)
    elif client is not None:
        active = active.filter(client=client)
        if release is not None:
            active = active.filter(release=release)
    else:
        raise ManifestError("Name the documents to revoke: ids, or --client (and --release).")
    return active.update(revoked_at=timezone.now())
