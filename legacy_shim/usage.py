"""Counting uses of the legacy names, so the team knows when the shim can go.

A GraphQL request pays a substring check; one that uses a legacy name adds to a count kept in
the process, with no SQL. The counts are written (one UPDATE per name and client, plus an INSERT
the first time) once FLUSH_SECONDS have passed, after the response of the request that notices
it has gone out, and when the process exits. Clients are named by their X-Client-Name header
(else the User-Agent), which anyone can set: names are cut to CLIENT_NAME_LENGTH characters, and
beyond MAX_CLIENTS distinct clients every new one is counted as "other", so forged names cannot
grow the table. Anonymous requests are counted like any other.
"""

import atexit
import logging
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.core.signals import request_finished
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from graphql import TypeInfo, TypeInfoVisitor, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from graphql_api.observability.metrics import legacy_names_used
from legacy_shim.models import LegacyNameUse

logger = logging.getLogger(__name__)

LEGACY_ROOT_FIELDS = {"learningTask", "learningTasks", "quizTask", "quizTasks"}
LEGACY_TYPES = {"LearningTask", "QuizTask"}
MARKERS = ("learningTask", "quizTask")  # every legacy name is reached through these fields

CLIENT_NAME_LENGTH = 64
MAX_CLIENTS = 100
OTHER = "other"
FLUSH_SECONDS = 60.0


@dataclass
class _Count:
    uses: int
    first_used: datetime
    last_used: datetime


class UsageCounts:
    """Uses counted in this process since the last flush, per (name, client)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, str], _Count] = {}
        self.database: str | None = None  # the database the pending counts belong to
        self.flushed_at = time.monotonic()

    def add(self, names: Iterable[str], client: str) -> None:
        now = timezone.now()
        with self.lock:
            self.database = self.database or connection.settings_dict["NAME"]
            for name in set(names):
                count = self.pending.get((name, client))
                if count is None:
                    self.pending[(name, client)] = _Count(1, now, now)
                else:
                    count.uses += 1
                    count.last_used = now

    def due(self) -> bool:
        return bool(self.pending) and time.monotonic() - self.flushed_at >= FLUSH_SECONDS

    def flush(self) -> None:
        """Write the pending counts; failures are logged and the counts kept for the next try."""
        with self.lock:
            pending, self.pending = self.pending, {}
            database, self.database = self.database, None
            self.flushed_at = time.monotonic()
        if not pending or database != connection.settings_dict["NAME"]:
            return  # counted against another database (a test run's, since dropped): not ours
        try:
            with transaction.atomic():
                known = set(LegacyNameUse.objects.values_list("client", flat=True).distinct())
                merged: dict[tuple[str, str], _Count] = {}
                for (name, client), count in pending.items():
                    if client not in known:
                        if len(known) >= MAX_CLIENTS:
                            client = OTHER
                        known.add(client)
                    _merge(merged, (name, client), count)
                for (name, client), count in merged.items():
                    _write(name, client, count)
        except DatabaseError:
            logger.warning("Could not record %d legacy name uses", len(pending), exc_info=True)
            with self.lock:
                self.database = database
                for key, count in pending.items():
                    _merge(self.pending, key, count)


def _merge(counts: dict, key: tuple[str, str], count: _Count) -> None:
    if (seen := counts.get(key)) is None:
        counts[key] = _Count(count.uses, count.first_used, count.last_used)
    else:
        seen.uses += count.uses
        seen.first_used = min(seen.first_used, count.first_used)
        seen.last_used = max(seen.last_used, count.last_used)


def _write(name: str, client: str, count: _Count) -> None:
    existing = LegacyNameUse.objects.filter(name=name, client=client)
    if existing.update(uses=F("uses") + count.uses, last_used=count.last_used):
        return
    try:
        with transaction.atomic():
            LegacyNameUse.objects.create(
                name=name, client=client, uses=count.uses,
                first_used=count.first_used, last_used=count.last_used,
            )  # fmt: skip
    except IntegrityError:  # another process counted it first
        existing.update(uses=F("uses") + count.uses, last_used=count.last_used)


usage_counts = UsageCounts()


def record_use(names: Iterable[str], client: str) -> None:
    """Count one use of each name by the client, in this process; see the module docstring."""
    names = set(names)
    usage_counts.add(names, client_name(client))
    legacy_names_used(names)  # and live, per name, in the API's metrics


def flush_usage() -> None:
    """Write the counts this process holds now (also done periodically and at exit)."""
    usage_counts.flush()


def _flush_when_due(**kwargs) -> None:
    if usage_counts.due():
        usage_counts.flush()


request_finished.connect(_flush_when_due, dispatch_uid="legacy_shim_flush_usage")
atexit.register(flush_usage)


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
            type_info = TypeInfo(context.schema._schema)
            collector = LegacyNamesUsed(type_info)
            visit(context.graphql_document, TypeInfoVisitor(type_info, collector))
            if collector.names:
                record_use(collector.names, client_of(context.context.request))
        yield
