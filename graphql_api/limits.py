"""Per-request limits checked before anything runs: a document's size, its cost, one login.

A document whose estimated cost (graphql_api/cost.py: the objects its answer can hold) is over
settings.GRAPHQL_MAX_COST is refused before any SQL runs.
"""

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    ValidationRule,
)
from graphql.execution import ExecutionResult
from strawberry.extensions import SchemaExtension

from graphql_api.cost import document_cost
from graphql_api.errors import ErrorCode
from graphql_api.library_internals import graphql_schema_of, provided_operation_name
from graphql_api.trusted_documents import DocumentRefused, trusted_by_text


class CostLimit(SchemaExtension):
    """Refuse, before execution, a document that can return more than GRAPHQL_MAX_COST objects.

    A trusted document whose bound (every page as large as allowed) fits is not costed again.
    """

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            schema, limit = graphql_schema_of(context.schema), settings.GRAPHQL_MAX_COST
            trusted = trusted_by_text(context.query)
            if trusted and trusted.cost_bound(schema, settings.GRAPHQL_MAX_PAGE_SIZE) <= limit:
                yield  # no variables can take it over the limit
                return
            cost = document_cost(schema, document, context.operation_name, context.variables)
            if cost > limit:
                message = (
                    f"This request could return {cost:,} objects; the limit is {limit:,}. "
                    "Ask for smaller pages (first/last) or fewer nested lists."
                )
                error = GraphQLError(message, extensions={"code": ErrorCode.TOO_COSTLY.value})
                context.result = ExecutionResult(data=None, errors=[error])
        yield


def check_document_size(payload) -> None:
    """Refuse a `query` text of more than settings.GRAPHQL_MAX_DOCUMENT_BYTES, before parsing.

    The token limit does not bound a document's bytes (a comment, or a long alias, is one
    token), and every cache and record of documents holds their text or what it parses into.
    """
    query = payload.get("query") if hasattr(payload, "get") else None
    limit = settings.GRAPHQL_MAX_DOCUMENT_BYTES
    if isinstance(query, str) and len(query) * 4 > limit:  # else no UTF-8 encoding is over
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise DocumentRefused(
                413,
                f"The GraphQL document is {size:,} bytes; this server takes documents of at most "
                f"{limit:,} bytes. Send a shorter document, or a trusted one by its documentId.",
                ErrorCode.DOCUMENT_TOO_LARGE.value,
            )


class OneLoginRule(ValidationRule):
    """A request may log in once: each `login` field costs a password hash, and aliases multiply."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *args) -> None:
        if node.operation != OperationType.MUTATION:
            return
        document = self.context.document
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        logins = _count_fields(node.selection_set, "login", fragments, set())
        if logins > 1:
            self.report_error(
                GraphQLError(
                    f"A request may log in once; this one has {logins} login fields.", node
                )
            )


def _count_fields(selection_set, name: str, fragments: dict, seen: set) -> int:
    count = 0
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            count += selection.name.value == name
        elif isinstance(selection, InlineFragmentNode):
            count += _count_fields(selection.selection_set, name, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                seen = seen | {selection.name.value}
                count += _count_fields(fragment.selection_set, name, fragments, seen)
    return count


class OperationChoice(SchemaExtension):
    """A document of several operations must say which to run (the GraphQL spec's rule)."""

    def on_validate(self):
        context = self.execution_context
        document = context.graphql_document
        # Strawberry's operation_name falls back to the first operation's: ask what was sent.
        if document is not None and provided_operation_name(context) is None:
            names = [
                d.name.value if d.name else "(anonymous)"
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            ]
            if len(names) > 1:
                raise GraphQLError(
                    f"The document has {len(names)} operations ({', '.join(names)}): "
                    "send operationName to say which one to run."
                )
        yield
