"""Why a document went to GraphQL's executor: every fallback is logged, counted and recorded.

The count is kept per process (`counts`, per reason) and in the database: `ReadFallback` per
document and reason (how often, first and last seen) and `FallbackDocument`, each document's
text once, cut to TEXT_BYTES; `manage.py read_fallbacks` lists them. Anyone can send documents
that fall back, so the record is bounded: at most settings.GRAPHQL_FALLBACK_DOCUMENTS documents
and settings.GRAPHQL_FALLBACK_BYTES bytes of their text are stored, and any further document is
counted, per reason, under the digest OTHER, without its text. The counts wait in memory (within
the same bounds) and are written in one batch a minute (graphql_api.bounded.Recorder, shared with
the legacy names' usage), after a response: a fallback costs its request no statement.

The test settings turn the record off (GRAPHQL_RECORD_FALLBACKS), so that statement counts do
not depend on which test saw a document first; the tests of the record turn it on.
"""

import logging
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from graphql_api.bounded import Count, PendingCounts, Recorder, add_count, digest
from graphql_api.readpath.models import FallbackDocument, ReadFallback

logger = logging.getLogger(__name__)

counts: Counter[str] = Counter()  # reason -> fallbacks in this process
FLUSH_SECONDS = 60.0
TEXT_BYTES = 16 * 1024  # of each document's text, stored
OTHER = "other"  # the digest under which documents past the bounds are counted


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """The executor must answer this document; `reason` says why, for people to read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A reason's class, by the start of its text (the first that matches), for metrics: the reasons
# themselves name fields and types, too many for a label.
REASON_CLASSES = (
    ("an extension with a resolve hook", "resolve_hook"),
    ("@defer", "defer"),
    ("an error while reading", "error"),
    ("a null in a non-null", "data"),
    ("a hidden or missing object", "data"),
    ("a nested page past", "data"),
    ("the schema was built without", "no_index"),
)
ARGUMENT_WORDS = ("argument", "an id ", "first: 0", "paging backwards")


def reason_class(reason: str) -> str:
    """The class of a fallback's reason: resolve_hook, defer, error, data, no_index, arguments
    (values the read path leaves to the executor), or selection (fields it does not plan)."""
    for start, kind in REASON_CLASSES:
        if reason.startswith(start):
            return kind
    if any(word in reason for word in ARGUMENT_WORDS):
        return "arguments"
    return "selection"


def record(reason: str, document: str, operation_name: str | None) -> None:
    """Log and count one fallback, to be recorded in the database with the next batch."""
    counts[reason] += 1
    logger.debug("read path: %s answered by the executor: %s", operation_name or "query", reason)
    if not getattr(settings, "GRAPHQL_RECORD_FALLBACKS", True):
        return
    text = cut(document)
    name = (operation_name or "")[:200]
    recorder.add(
        (digest(document), reason[:300]),
        size=len(text.encode()) + len(name),
        detail=(name, text, len(document.encode())),
    )


def cut(text: str) -> str:
    """The text's first TEXT_BYTES bytes (whole characters)."""
    return text.encode()[:TEXT_BYTES].decode(errors="ignore")


def max_documents() -> int:
    return settings.GRAPHQL_FALLBACK_DOCUMENTS


def max_bytes() -> int:
    return settings.GRAPHQL_FALLBACK_BYTES


def _write_counts(pending: dict[tuple[str, str], Count]) -> None:
    """Add a batch of counts to the record, storing each new document's text within the bounds."""
    with transaction.atomic():
        stored = dict(FallbackDocument.objects.values_list("digest", "kept"))
        total = sum(stored.values())
        merged: dict[tuple[str, str], Count] = {}
        for (key_digest, reason), count in pending.items():
            if key_digest != OTHER and key_digest not in stored:
                name, text, size = count.detail
                kept = len(text.encode())
                if len(stored) >= max_documents() or total + kept > max_bytes():
                    key_digest, count = OTHER, Count(count.uses, count.first, count.last)
                else:
                    _store(key_digest, text, size, kept)
                    stored[key_digest], total = kept, total + kept
            add_count(merged, (key_digest, reason), count)
        for (key_digest, reason), count in merged.items():
            _write(key_digest, reason, count)


def _store(key_digest: str, text: str, size: int, kept: int) -> None:
    try:
        with transaction.atomic():
            FallbackDocument.objects.create(digest=key_digest, text=text, size=size, kept=kept)
    except IntegrityError:  # another process stored it first
        pass


def _write(key_digest: str, reason: str, count: Count) -> None:
    seen = ReadFallback.objects.filter(digest=key_digest, reason=reason)
    if seen.update(uses=F("uses") + count.uses, last_seen=count.last):
        return
    name = count.detail[0] if count.detail else ""
    try:
        with transaction.atomic():
            ReadFallback.objects.create(
                digest=key_digest, reason=reason, operation_name=name, uses=count.uses,
                first_seen=count.first, last_seen=count.last,
            )  # fmt: skip
    except IntegrityError:  # another process recorded it first
        seen.update(uses=F("uses") + count.uses, last_seen=count.last)


recorder = Recorder(
    name="read path fallback",
    pending=PendingCounts(
        max_keys=max_documents, max_bytes=max_bytes, overflow=lambda key: (OTHER, key[1])
    ),
    write=_write_counts,
    flush_seconds=lambda: FLUSH_SECONDS,
)


def flush_fallbacks() -> None:
    """Write the fallbacks this process has counted now (also done each minute and at exit)."""
    recorder.flush()
