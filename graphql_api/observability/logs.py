"""Log lines that carry their request: its id and GraphQL operation, and LOG_FORMAT=json.

The middleware binds a `RequestContext` for the length of a request; `RequestContextFilter`
(on the console handler) copies its id and operation onto every record logged meanwhile, by any
logger. `JsonFormatter` writes one JSON object per line. This module imports nothing of Django,
so gunicorn's own logger (config/gunicorn.py) can use it before the application loads.
"""

import json
import logging
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

# What a request id a client or proxy sends may be: a UUID, a trace id, "req-42"... Anything
# else (too long, control characters, spaces, quotes) is replaced, never echoed or logged.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_from(header: str | None) -> str:
    """The request's id: the X-Request-ID header if it is a safe one, else a new random one."""
    if header and REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


@dataclass(slots=True)
class RequestContext:
    request_id: str
    operation: str = ""


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def request_bind(*, request_id: str):
    """Make `request_id` the current request's (until `request_unbind` with the token)."""
    return _current.set(RequestContext(request_id))


def request_unbind(token) -> None:
    _current.reset(token)


def request_operation_set(*, operation: str) -> None:
    """Name the GraphQL operation the current request runs, for the rest of its log lines."""
    context = _current.get()
    if context is not None:
        context.operation = operation


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `operation` (empty outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        record.request_id = context.request_id if context else ""
        record.operation = context.operation if context else ""
        return True


# Attributes a record may carry (logging's `extra`) that the JSON line includes.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, operation, and the
    request's method, path, status and duration_ms on its summary line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "operation": getattr(record, "operation", ""),
        }
        for name in EXTRA_FIELDS:
            if (value := getattr(record, name, None)) is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry, default=str).decode()
        except TypeError:  # text orjson refuses (a lone surrogate a client sent): escaped
            return json.dumps(entry, default=str)
