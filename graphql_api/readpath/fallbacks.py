"""Why a document went to GraphQL's executor: every fallback is logged, counted and recorded.

The count is kept per process (`counts`) and in the database (`ReadFallback`: per document and
reason, how often, first and last seen), which `manage.py read_fallbacks` lists. The test
settings turn the database record off (GRAPHQL_RECORD_FALLBACKS), so that statement counts do
not depend on which test saw a document first; the tests of the record turn it on.
"""

import hashlib
import logging
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from graphql_api.readpath.models import ReadFallback

logger = logging.getLogger(__name__)

counts: Counter[str] = Counter()  # reason -> fallbacks in this process
FLUSH_SECONDS = 60  # a document falling back again within this time is counted in memory first
_pending: dict[tuple[str, str], tuple[int, float]] = {}  # (digest, reason) -> (uses, last flush)


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
    """Log and count one fallback, and record it in the database.

    The first fallback of a document for a reason is written at once; the following ones are
    added up in memory and written with the next fallback that comes FLUSH_SECONDS or more
    after the last write, so a document the path never answers costs one UPDATE a minute, not
    one a request. A failure to record is logged, never raised.
    """
    counts[reason] += 1
    logger.debug("read path: %s answered by the executor: %s", operation_name or "query", reason)
    if not getattr(settings, "GRAPHQL_RECORD_FALLBACKS", True):
        return
    key = (hashlib.sha256(document.encode()).hexdigest(), reason[:300])
    uses, flushed = _pending.get(key, (0, float("-inf")))
    now = time.monotonic()
    if now - flushed < FLUSH_SECONDS:
        _pending[key] = (uses + 1, flushed)
        return
    _pending[key] = (0, now)
    _write(*key, uses + 1, operation_name or "", document)


def _write(digest: str, reason: str, uses: int, operation_name: str, document: str) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            seen = ReadFallback.objects.filter(digest=digest, reason=reason)
            if not seen.update(uses=F("uses") + uses, last_seen=now):
                ReadFallback.objects.create(
                    digest=digest, reason=reason, operation_name=operation_name[:200],
                    document=document, uses=uses, first_seen=now, last_seen=now,
                )  # fmt: skip
    except IntegrityError:  # another process recorded it first
        ReadFallback.objects.filter(digest=digest, reason=reason).update(
            uses=F("uses") + uses, last_seen=now
        )
    except DatabaseError:
        logger.warning("Could not record a read path fallback (%s)", reason, exc_info=True)
