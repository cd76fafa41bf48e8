"""What a GraphQL request ran, seen at operation level: never per resolver.

`OperationObserver` is a schema extension with operation hooks only. An extension with a
resolve hook would send every document to GraphQL's executor (the read path falls back for it)
and cost a call per field; this one costs two calls per request. It names the operation (and
the trusted document, if it is one) for the request's metrics, log lines and trace span.
The read path's execution context reports which path answered (`answered`), and
graphql_api/schema.py reports the errors (`graphql_errors_observed`).
"""

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graphql_api.errors import error_code
from graphql_api.observability import logs, metrics, tracing
from graphql_api.observability.middleware import connection_failed
from graphql_api.trusted_documents import trusted_by_text


class OperationObserver(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        # Parsed and valid by now: name the operation for the log lines written while it runs.
        if name := valid_name(self.execution_context.operation_name):
            logs.request_operation_set(operation=name)
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if request is None:
            return
        result = context.result
        if not getattr(request, "errors_counted", False) and result is not None and result.errors:
            # Refused by an extension (the cost limit, say): Strawberry does not process those.
            graphql_errors_observed(result.errors, context)
        request.errors_counted = True  # the middleware must not count its response's again
        if name := valid_name(context.operation_name):  # refused before it ran: name it now
            logs.request_operation_set(operation=name)
        trusted = trusted_by_text(context.query)
        request.graphql_operation = metrics.operation_label(context.operation_name)
        request.graphql_document = trusted.name if trusted else ""
        if tracing.active():
            tracing.operation_named(
                name=valid_name(context.operation_name),
                operation_type=operation_type_of(context),
                document=request.graphql_document,
            )


def operation_type_of(context) -> str:
    try:
        return context.operation_type.value
    except (RuntimeError, ValueError):  # no document, or no operation of the name sent
        return ""


def valid_name(name: str | None) -> str:
    """An operation name a client sent, if it is a GraphQL name (else it is not repeated)."""
    return name if name and metrics.OPERATION_NAME.fullmatch(name) else ""


def graphql_errors_observed(errors: list[GraphQLError], execution_context) -> None:
    """Count the errors of a GraphQL response by code, and the database connection errors."""
    request = getattr(getattr(execution_context, "context", None), "request", None)
    if request is not None:
        request.errors_counted = True  # the middleware must not count its response's again
    if not metrics.enabled():
        return
    metrics.errors_counted(error_code(error) for error in errors)
    for error in errors:
        if connection_failed(error.original_error):
            metrics.database_error_seen()
