"""Per-process memory that clients can grow, bounded in entries and in bytes.

`BoundedLRU` is every per-process cache of the API (kept plans, parsed documents, validation
results): keyed by a digest of the document, never its text, and holding at most `max_entries`
entries and `max_bytes` bytes, least recently used first out. `PendingCounts` is what the usage
records (the read path's fallbacks, the legacy names' uses) count in memory before they write it:
at most `max_keys` keys and `max_bytes` bytes, and a key past either bound is counted under its
`overflow` key instead, so nothing is lost and nothing grows.

`Recorder` writes such counts in batches. Sizes are estimated by `deep_size`: the bytes of the
objects a value holds of its own.
"""

from __future__ import annotations

import atexit
import contextvars
import hashlib
import logging
import sys
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

# Objects of these kinds are shared by every value that points to them (code, classes, modules,
# the schema): a value is charged a pointer for them, never their size.
_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType)
_CONTAINERS = (list, tuple, dict, set, frozenset)
POINTER = 8


def digest(text: str) -> str:
    """The key a document is kept under: the hex SHA-256 of its text, 64 bytes whatever its size."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def deep_size(value: Any, follow: tuple[str, ...] = ()) -> int:
    """The bytes `value` holds: itself, its containers' items and the attributes of objects whose
    class comes from a module starting with one of `follow`; every object counted once.

    Anything else it points to (the schema, models, code) is shared, and costs a pointer. Closures
    are followed (their cells are the value's own); their code is not. Iterative: a long chain
    (graphql-core's tokens) does not recurse.
    """
    seen: set[int] = set()
    total, stack = 0, [value]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _SHARED):
            if isinstance(obj, types.FunctionType) and obj.__closure__:
                total += sys.getsizeof(obj)
                stack.extend(cell.cell_contents for cell in obj.__closure__ if _filled(cell))
            else:
                total += POINTER
            continue
        if isinstance(obj, str | bytes | int | float | bool | type(None)):
            total += sys.getsizeof(obj)
        elif isinstance(obj, dict):
            total += sys.getsizeof(obj)
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, _CONTAINERS):
            total += sys.getsizeof(obj)
            stack.extend(obj)
        elif isinstance(obj, types.MethodType):
            total += sys.getsizeof(obj)
            stack.append(obj.__self__)
        elif type(obj).__module__.startswith(follow) if follow else False:
            total += sys.getsizeof(obj)
            stack.extend(_attributes(obj))
        else:
            total += POINTER
    return total


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _attributes(obj) -> Iterable[Any]:
    if hasattr(obj, "__dict__"):
        yield obj.__dict__
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                yield getattr(obj, name)


class BoundedLRU:
    """A least-recently-used map bounded in entries and in estimated bytes; thread-safe.

    `sizeof(key, value)` estimates an entry's bytes when it is put; an entry larger than the whole
    byte bound is not kept. The bounds are read at each put (callables), so settings changed in
    tests or between requests take effect. `hits`, `misses` and `evictions` are for people.
    """

    def __init__(
        self,
        *,
        max_entries: Callable[[], int] | int,
        max_bytes: Callable[[], int] | int,
        sizeof: Callable[[Hashable, Any], int],
    ) -> None:
        self._max_entries = max_entries if callable(max_entries) else lambda: max_entries
        self._max_bytes = max_bytes if callable(max_bytes) else lambda: max_bytes
        self._sizeof = sizeof
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = self.misses = self.evictions = 0

    def get(self, key: Hashable | None, default: Any = None) -> Any:
        if key is None:
            return default
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return default
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable | None, value: Any) -> None:
        max_entries, max_bytes = self._max_entries(), self._max_bytes()
        if key is None or max_entries <= 0:
            return
        size = self._sizeof(key, value)
        with self._lock:
            self._pop(key)
            if size > max_bytes:
                return  # larger than the whole cache: not kept
            self._entries[key] = (value, size)
            self.bytes += size
            while len(self._entries) > max_entries or self.bytes > max_bytes:
                self._pop(next(iter(self._entries)))
                self.evictions += 1

    def forget(self, key: Hashable | None) -> None:
        with self._lock:
            self._pop(key)

    def _pop(self, key: Hashable | None) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = self.hits = self.misses = self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._entries)

    def values(self) -> list[Any]:
        with self._lock:
            return [value for value, _size in self._entries.values()]


@dataclass
class Count:
    """Uses of one key since the last write, and what the first one carried (`detail`)."""

    uses: int
    first: datetime
    last: datetime
    detail: Any = None
    size: int = 0  # the bytes it holds against PendingCounts.max_bytes

    def merge(self, other: Count) -> None:
        self.uses += other.uses
        self.first, self.last = min(self.first, other.first), max(self.last, other.last)
        self.detail = self.detail if self.detail is not None else other.detail


def add_count(counts: dict[Hashable, Count], key: Hashable, count: Count) -> None:
    """Add `count` to `counts[key]`, or make it a copy of that (`count` itself is left alone, so
    that a batch that failed can be put back as it was taken)."""
    if (seen := counts.get(key)) is None:
        counts[key] = replace(count)
    else:
        seen.merge(count)


class PendingCounts:
    """Counts per key waiting to be written: at most `max_keys` keys and `max_bytes` bytes.

    A new key past either bound is counted under `overflow(key)` (with no detail), which is
    always admitted: the overflow keys are few by construction (one per reason, per name).
    """

    def __init__(
        self,
        *,
        max_keys: Callable[[], int] | int,
        max_bytes: Callable[[], int] | int,
        overflow: Callable[[Hashable], Hashable],
    ) -> None:
        self._max_keys = max_keys if callable(max_keys) else lambda: max_keys
        self._max_bytes = max_bytes if callable(max_bytes) else lambda: max_bytes
        self._overflow = overflow
        self._counts: dict[Hashable, Count] = {}
        self._lock = threading.Lock()
        self.bytes = 0

    def add(self, key: Hashable, when: datetime, *, size: int = 0, detail: Any = None) -> None:
        with self._lock:
            count = self._counts.get(key)
            if count is None:
                full = len(self._counts) >= self._max_keys()
                if full or self.bytes + size > self._max_bytes():
                    key, size, detail = self._overflow(key), 0, None
                    count = self._counts.get(key)
            if count is None:
                size += len(repr(key))
                self._counts[key] = Count(1, when, when, detail, size)
                self.bytes += size
            else:
                count.uses += 1
                count.last = when

    def take(self) -> dict[Hashable, Count]:
        """Every count, leaving none."""
        with self._lock:
            counts, self._counts, self.bytes = self._counts, {}, 0
            return counts

    def restore(self, counts: dict[Hashable, Count]) -> None:
        """Put back counts that could not be written; they were within the bounds when taken."""
        with self._lock:
            for key, count in counts.items():
                self.bytes += count.size if key not in self._counts else 0
                add_count(self._counts, key, count)

    def clear(self) -> None:
        self.take()

    def __len__(self) -> int:
        return len(self._counts)


RECORDERS: list[Recorder] = []  # every recorder of the process (tests hold their writes apart)


class Recorder:
    """Usage counted in memory (`pending`) and written by `write(counts)` in one batch, once
    `flush_seconds()` have passed since the last write: after the response of the request that
    notices (`flush_when_due`, a request_finished receiver), and when the process exits.

    Counts belong to the database they were counted against: a test run's, since dropped, is not
    written to the next one. A write that fails is logged and its counts kept for the next.
    """

    def __init__(
        self, *, name: str, pending: PendingCounts, write: Callable, flush_seconds: Callable
    ) -> None:
        self.name, self.pending, self.write = name, pending, write
        self.flush_seconds = flush_seconds
        self.database: str | None = None
        self.flushed_at = time.monotonic()
        self._lock = threading.Lock()
        request_finished.connect(self.flush_when_due, dispatch_uid=f"{name}-flush", weak=False)
        atexit.register(self.flush)
        RECORDERS.append(self)

    def add(self, key: Hashable, *, size: int = 0, detail: Any = None) -> None:
        self.database = self.database or connection.settings_dict["NAME"]
        self.pending.add(key, timezone.now(), size=size, detail=detail)

    def due(self) -> bool:
        return bool(len(self.pending)) and (
            time.monotonic() - self.flushed_at >= self.flush_seconds()
        )

    def flush_when_due(self, **_signal) -> None:
        if self.due() and not _probe.get():
            self.flush()

    def flush(self) -> None:
        """Write the pending counts now."""
        with self._lock:
            counts = self.pending.take()
            database, self.database = self.database, None
            self.flushed_at = time.monotonic()
        if not counts or database != connection.settings_dict["NAME"]:
            return
        try:
            self.write(counts)
        except DatabaseError:
            logger.warning("Could not record %d %s counts", len(counts), self.name, exc_info=True)
            self.database = database
            self.pending.restore(counts)

    def clear(self) -> None:
        """Forget the pending counts (tests)."""
        self.pending.clear()
        self.database = None


# Set for a request that must not touch the database (a health probe): no recorder writes after
# its response; the next request does. Cleared as every request starts.
_probe: contextvars.ContextVar[bool] = contextvars.ContextVar("bounded.probe", default=False)


def writes_nothing_after_this_request() -> None:
    """The current request is a probe: pending records wait for the next request."""
    _probe.set(True)


def _request_started(**_signal) -> None:
    _probe.set(False)


request_started.connect(_request_started, dispatch_uid="bounded-probe-cleared", weak=False)
