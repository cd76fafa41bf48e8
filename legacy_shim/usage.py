"""Counting uses of the legacy names, so the team knows when the shim can go.

A GraphQL request pays a substring check; only one that uses a legacy name writes, with one
UPDATE (plus an INSERT the first time a client uses a name).
"""

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from graphql import TypeInfo, TypeInfoVisitor, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from legacy_shim.models import LegacyNameUse

logger = logging.getLogger(__name__)

LEGACY_ROOT_FIELDS = {"learningTask", "learningTasks", "quizTask", "quizTasks"}
LEGACY_TYPES = {"LearningTask", "QuizTask"}
MARKERS = ("learningTask", "quizTask")  # every legacy name is reached through these fields


def record_use(names: Iterable[str], client: str) -> None:
    """Count one use of each name by the client; failures are logged, never raised."""
    names, client, now = sorted(set(names)), client[:200] or "unknown", timezone.now()
    try:
        with transaction.atomic():
            seen = LegacyNameUse.objects.filter(client=client, name__in=names)
            if seen.update(uses=F("uses") + 1, last_used=now) < len(names):
                known = set(seen.values_list("name", flat=True))
                for name in set(names) - known:
                    _create(name, client, now)
    except DatabaseError:
        logger.warning("Could not record the use of %s by %s", names, client, exc_info=True)


def _create(name: str, client: str, now) -> None:
    try:
        with transaction.atomic():
            LegacyNameUse.objects.create(
                name=name, client=client, uses=1, first_used=now, last_used=now
            )
    except IntegrityError:  # another request counted it first
        LegacyNameUse.objects.filter(name=name, client=client).update(
            uses=F("uses") + 1, last_used=now
        )


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
