"""Counting uses of the legacy names, so the team knows when the shim can go.

A GraphQL request pays a substring check; one that uses a legacy name adds to a count kept in
the process, with no SQL. The counts are written (one UPDATE per name and client, plus an INSERT
the first time) once FLUSH_SECONDS have passed, after the response of the request that notices
it has gone out, and when the process exits (graphql_api.bounded.Recorder, shared with the read
path's fallbacks). Clients are named by their X-Client-Name header (else the User-Agent), which
anyone can set: names are cut to CLIENT_NAME_LENGTH characters, beyond MAX_CLIENTS distinct
clients every new one is counted as "other", and between two writes at most MAX_PENDING counts
are held, so forged names can grow neither the table nor the process. Anonymous requests are
counted like any other.
"""

import sys
from collections.abc import Iterable
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from graphql import TypeInfo, TypeInfoVisitor, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from graphql_api.bounded import Count, PendingCounts, Recorder, add_count
from graphql_api.library_internals import graphql_schema_of
from graphql_api.observability.metrics import legacy_names_used
from legacy_shim.models import LegacyNameUse

LEGACY_ROOT_FIELDS = {"learningTask", "learningTasks", "quizTask", "quizTasks"}
LEGACY_TYPES = {"LearningTask", "QuizTask"}
MARKERS = ("learningTask", "quizTask")  # every legacy name is reached through these fields

CLIENT_NAME_LENGTH = 64
MAX_CLIENTS = 100
OTHER = "other"
FLUSH_SECONDS = 60.0
# Between two writes, at most this many (name, client) counts are held; more count as OTHER.
MAX_PENDING = 2_000
MAX_PENDING_BYTES = 256 * 1024


def _write_counts(counts: dict[tuple[str, str], Count]) -> None:
    """Add the counts to the table; a client past MAX_CLIENTS distinct ones is written as OTHER."""
    with transaction.atomic():
        known = set(LegacyNameUse.objects.values_list("client", flat=True).distinct())
        merged: dict[tuple[str, str], Count] = {}
        for (name, client), count in counts.items():
            if client not in known:
                if len(known) >= MAX_CLIENTS:
                    client = OTHER
                known.add(client)
            add_count(merged, (name, client), count)
        for (name, client), count in merged.items():
            _write(name, client, count)


def _write(name: str, client: str, count: Count) -> None:
    existing = LegacyNameUse.objects.filter(name=name, client=client)
    if existing.update(uses=F("uses") + count.uses, last_used=count.last):
        return
    try:
        with transaction.atomic():
            LegacyNameUse.objects.create(
                name=name, client=client, uses=count.uses,
                first_used=count.first, last_used=count.last,
            )  # fmt: skip
    except IntegrityError:  # another process counted it first
        existing.update(uses=F("uses") + count.uses, last_used=count.last)


usage_counts = Recorder(
    name="legacy name use",
    pending=PendingCounts(
        max_keys=lambda: MAX_PENDING,
        max_bytes=lambda: MAX_PENDING_BYTES,
        overflow=lambda key: (key[0], OTHER),
    ),
    write=_write_counts,
    flush_seconds=lambda: FLUSH_SECONDS,
)


def record_use(names: Iterable[str], client: str) -> None:
    """Count one use of each name by the client, in this process; see the module docstring."""
    names, client = set(names), client_name(client)
    for name in names:
        usage_counts.add((name, client), size=len(name) + len(client))
    legacy_names_used(names)  # and live, per name, in the API's metrics


def flush_usage() -> None:
    """Write the counts this process holds now (also done periodically and at exit)."""
    usage_counts.flush()


def client_name(raw: str) -> str:
    """A client's name as counted: printable, at most CLIENT_NAME_LENGTH characters."""
    printable = "".join(c for c in raw if c.isprintable()).strip()
    return printable[:CLIENT_NAME_LENGTH] or "unknown"


def client_of(request: HttpRequest) -> str:
    return request.headers.get("X-Client-Name") or request.headers.get("User-Agent") or "unknown"


def python_client() -> str:
    return "python " + " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]).strip()


class LegacyNamesUsed(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info, self.names = type_info, set()

    def enter_field(self, node, *args) -> None:
        parent = self.type_info.get_parent_type()
        if parent is None:
            return
        if parent.name in LEGACY_TYPES or (
            parent.name == "Query" and node.name.value in LEGACY_ROOT_FIELDS
        ):
            self.names.add(f"{parent.name}.{node.name.value}")


class LegacyUsageExtension(SchemaExtension):
    """Counts the legacy fields a valid operation selects, per client."""

    def on_execute(self):
        context = self.execution_context
        query = context.query or ""
        if any(marker in query for marker in MARKERS) and context.graphql_document is not None:
            type_info = TypeInfo(graphql_schema_of(context.schema))
            collector = LegacyNamesUsed(type_info)
            visit(context.graphql_document, TypeInfoVisitor(type_info, collector))
            if collector.names:
                record_use(collector.names, client_of(context.context.request))
        yield
