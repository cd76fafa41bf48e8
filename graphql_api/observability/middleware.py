"""The first middleware: health, readiness and metrics answered at once; every other request
measured whole (see the package's docstring)."""

import logging
import sys
import time
from collections.abc import Callable

import orjson
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse

from graphql_api.observability import health, logs, metrics

logger = logging.getLogger("graphql_api.requests")

ROUTES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.healthz,
    "/readyz": health.readyz,
    "/metrics": metrics.metrics_view,
}


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = ROUTES.get(request.path_info)
        if route is not None:
            return route(request)
        request_id = logs.request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        token = logs.request_bind(request_id=request_id)
        started = time.perf_counter()
        try:
            if metrics.enabled():
                statements = metrics.StatementTimer(time.perf_counter)
                with connection.execute_wrapper(statements):
                    response = self.get_response(request)
                self.observe(request, response, time.perf_counter() - started, statements)
            else:
                response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if settings.LOG_FORMAT == "json":
                # The request's summary line (gunicorn's access log is off in this format).
                status = response.status_code
                logger.info(
                    "%s %s %s", request.method, request.path, status,
                    extra={"method": request.method, "path": request.path, "status": status,
                           "duration_ms": round((time.perf_counter() - started) * 1000, 3)},
                )  # fmt: skip
            return response
        finally:
            logs.request_unbind(token)

    def observe(self, request, response, seconds, statements) -> None:
        status = response.status_code
        metrics.request_observed(
            path=request.path_info,
            operation=getattr(request, "graphql_operation", metrics.NOT_GRAPHQL),
            document=getattr(request, "graphql_document", ""),
            status=status,
            seconds=seconds,
            statements=statements,
        )
        if status >= 400 and not getattr(request, "errors_counted", False):
            metrics.errors_counted(response_error_codes(response))


def response_error_codes(response: HttpResponse) -> list[str]:
    """The codes of an error response made outside GraphQL (a lockout, a body too large, a
    timeout before GraphQL started...): its errors' codes, else HTTP_<status>."""
    fallback = [f"HTTP_{response.status_code}"]
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return fallback
    try:
        errors = orjson.loads(response.content).get("errors") or []
        codes = [e["extensions"]["code"] for e in errors if "code" in e.get("extensions", {})]
    except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError):
        return fallback
    return [code for code in codes if isinstance(code, str)] or fallback


def _unhandled(sender, request=None, **_signal) -> None:
    """An exception no view handled (the session's database unreachable, say)."""
    if connection_failed(sys.exc_info()[1]):
        metrics.database_error_seen()


got_request_exception.connect(_unhandled, dispatch_uid="graphql_api.observability.middleware")


# SQLSTATEs of a lost or refused connection: class 08, and the server shutting down or starting.
CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


def connection_failed(error: BaseException | None) -> bool:
    """Whether the database connection failed (refused, lost), not a statement of its own: the
    driver's error says so (PostgreSQL: no SQLSTATE, as a refused connection has, or one of
    CONNECTION_STATES; SQLite: its file cannot be opened)."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    driver = error.__cause__ or error
    if hasattr(driver, "sqlstate"):  # psycopg's
        state = driver.sqlstate
        return state is None or state.startswith(CONNECTION_STATES)
    return "unable to open database" in str(driver)
