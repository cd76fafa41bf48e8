"""Kept plans made before a worker serves: the shipped queries, for every kind of viewer.

A worker starts with no kept plan; under gunicorn, one replaced after `max_requests` would plan
each document again on its first requests, which showed as a p99 spike. `warm_plans` runs each
query of `graphql_api/documents/` once per viewer kind (anonymous, signed-in, staff) as a viewer
that is no one (id 0: every statement runs, no row is anyone's), with the variables a client
sends first (required ids as an id no row has, everything optional left out), and keeps the
plans by shape, as a real request would. Nobody is answered; what it reads is discarded.
Under gunicorn with `preload_app` this runs once in the master, and every worker forked from
it, first or replacement, starts with the plans (config/gunicorn.py).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from graphql import NonNullTypeNode, OperationDefinitionNode, OperationType
from strawberry.django.context import StrawberryDjangoContext
from strawberry.relay import to_base64

from graphql_api.library_internals import graphql_schema_of
from graphql_api.observability import metrics
from graphql_api.readpath.binding import shape_of
from graphql_api.trusted_documents import trusted_documents
from learningplatform.deadline import Deadline, DeadlineWrapper

log = logging.getLogger(__name__)


def viewers() -> list:
    """One viewer of each kind the plans are kept by (learningplatform.selectors.viewer_kind)."""
    from learningplatform.models import User

    return [
        AnonymousUser(),
        User(pk=0, is_active=True),
        User(pk=0, is_active=True, is_staff=True),
    ]


def first_variables(operation: OperationDefinitionNode, index) -> dict | None:
    """The variables a client sends first: a required id as one no row has, of the type its use
    names; nothing optional. None if a required variable is of another kind."""
    roots = {name: (r.kind, r.target) for name, r in index.roots.items()}
    uses = shape_of(operation, {}, roots).variables
    variables = {}
    for definition in operation.variable_definitions or ():
        if not isinstance(definition.type, NonNullTypeNode) or definition.default_value:
            continue
        name = definition.variable.name.value
        use = uses.get(name)
        if use is None or use.target is None:
            return None
        variables[name] = to_base64(use.target, "0")
    return variables


def warm_plans(schema) -> int:
    """Plan the shipped queries for every viewer kind; the number of requests run.

    A database that does not answer within DATABASE_PROBE_SECONDS at start, or any failure, is
    logged and leaves the plans to be made by the first requests, as without this: a server
    starts whatever its database does. Nothing of it is counted in the metrics.
    """
    from graphql_api.readpath.index import index_of

    index = index_of(graphql_schema_of(schema))
    ran = 0
    if not database_answers():
        log.warning(
            "Kept plans were not made before serving: the database did not answer within %s s",
            DATABASE_PROBE_SECONDS,
        )
        return ran
    errors = logging.getLogger("graphql_api.errors")  # its made-up ids' errors are no one's
    level, errors.level = errors.level, logging.WARNING
    deadline = DeadlineWrapper(Deadline(WARM_BUDGET_SECONDS * 1000))
    try:
        with ExitStack() as stack:
            for connection in connections.all():  # the primary and each replica
                stack.enter_context(connection.execute_wrapper(deadline))
            ran = warm_each(schema, index, deadline.deadline)
    except Exception as error:  # noqa: BLE001 - an optimisation: the server serves without it
        # One line, no traceback: a database or replica down at start is the operator's news
        # from the readiness probe and the replica's own log line, not a crash.
        log.warning(
            "Kept plans were not made before serving (%s: %s); the first requests make them",
            type(error).__name__, str(error).splitlines()[0] if str(error) else "",
        )  # fmt: skip
    finally:
        deadline.finish()
        errors.setLevel(level)
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:  # a master's must not be shared with its workers
                connection.close()
    log.info("Kept plans made before serving: %d requests, %d plans", ran, len(index.plans.keys()))
    return ran


DATABASE_PROBE_SECONDS = 2
# The whole warming's budget: gunicorn binds its port before its master warms, so requests wait
# for it; past this (a table locked by a migration, a slow database) the first requests plan.
WARM_BUDGET_SECONDS = 3


def database_answers() -> bool:
    """Whether the database accepts a connection and answers within DATABASE_PROBE_SECONDS:
    PostgreSQL's own connections wait as long as the server does (no connect_timeout), and a
    server that accepts and never answers would hold gunicorn's start for ever."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return True
    import psycopg

    params = connection.get_connection_params()
    keep = ("dbname", "user", "password", "host", "port", "sslmode", "options", "service")
    params = {name: value for name, value in params.items() if name in keep}
    try:
        with (
            psycopg.connect(
                **params, connect_timeout=DATABASE_PROBE_SECONDS, autocommit=True
            ) as probe,
            probe.transaction(),
        ):  # SET LOCAL: nothing stays on a pooler's connection
            probe.execute(f"SET LOCAL statement_timeout = {DATABASE_PROBE_SECONDS * 1000}")
            probe.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def warm_each(schema, index, deadline: Deadline) -> int:
    """Run each shipped query once per viewer kind until done or the deadline passes."""
    ran = 0
    for trusted in trusted_documents().values():
        for operation in trusted.document.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            if operation.operation != OperationType.QUERY:
                continue
            variables = first_variables(operation, index)
            if variables is None:
                continue
            for viewer in viewers():
                if deadline.passed():
                    log.warning("Kept plans: %s s passed; the first requests make the rest",
                                WARM_BUDGET_SECONDS)  # fmt: skip
                    return ran
                with metrics.unobserved():
                    result = run(schema, trusted.text, operation, variables, viewer)
                ran += 1
                for error in result.errors or ():
                    if isinstance(error.original_error, DatabaseError):
                        raise error.original_error  # a locked or slow database: stop
    return ran


def run(schema, text: str, operation: OperationDefinitionNode, variables: dict, viewer):
    request = HttpRequest()
    request.method = "POST"
    request.user = viewer
    context = StrawberryDjangoContext(request=request, response=HttpResponse())
    return schema.execute_sync(
        text,
        variable_values=variables,
        context_value=context,
        operation_name=operation.name.value if operation.name else None,
    )
