"""All or nothing per mutation request.

GraphQL runs a document's root mutation fields one after another, and an error in one that
reaches the response's top-level `errors` (a malformed id, say) can null the whole `data`: the
client would see nothing happened while an earlier field had written. So a mutation operation
runs in one transaction, rolled back when the response carries any top-level error. Refusals
reported in a payload's `errors` are answers, not failures: they leave the other fields' writes.

A write takes no savepoint of its own (learningplatform/services.py): a mutation alone in its
document needs none, since a database error rolls its whole transaction back. When a document
holds other root fields, each service call runs in a savepoint (`own_savepoint`), so that a
refused write leaves the others'.

A commit that fails on a database outage leaves the client not knowing whether its change was
applied: the answer says so (CommitUncertain, reported as UNAVAILABLE), with no data.
"""

import logging
from contextlib import AbstractContextManager, nullcontext

from django.db import DatabaseError, transaction
from graphql import ExecutionResult, FieldNode, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from graphql_api.library_internals import OperationType
from graphql_api.unavailable import CommitUncertain
from learningplatform.db.faults import database_fault

logger = logging.getLogger("graphql_api.transactions")


class AtomicMutations(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        if context.operation_type != OperationType.MUTATION:
            yield
            return
        executed = False
        try:
            with transaction.atomic():
                yield
                executed = True
                result = context.result
                if result is not None and getattr(result, "errors", None):
                    transaction.set_rollback(True)
        except DatabaseError as error:
            if not executed or database_fault(error) is None:
                raise
            logger.warning("A mutation's commit failed: %s", error)
            uncertain = CommitUncertain("the commit failed")
            uncertain.__cause__ = error
            context.result = ExecutionResult(
                data=None, errors=[GraphQLError(str(uncertain), original_error=uncertain)]
            )


def own_savepoint(info: Info) -> AbstractContextManager:
    """A savepoint for this mutation field's writes if its document has other root fields."""
    selections = info.operation.selection_set.selections
    if len(selections) == 1 and isinstance(selections[0], FieldNode):
        return nullcontext()
    return transaction.atomic()
