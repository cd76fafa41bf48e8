"""A document's cost: the number of objects an answer can hold, estimated before it runs.

The estimate follows GitHub's GraphQL API: a connection holds as many nodes as its `first` or
`last` asks for (the page size, settings.GRAPHQL_MAX_PAGE_SIZE, when neither is given), and
everything below it is multiplied by that, unless it selects no `edges` (only `totalCount` or
`pageInfo`): then it holds one object per parent; every other object field holds one object per
parent. Aliases and fragments are counted where they are used, so 14 aliases of a list cost 14
times one. graphql_api/limits.py refuses a document over settings.GRAPHQL_MAX_COST with it, and
graphql_api/trusted_documents.py bounds each trusted document's cost once.
"""

from typing import Any

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    value_from_ast_untyped,
)


def _page_size(field: FieldNode, variables: dict[str, Any], defaults: dict[str, Any]) -> int:
    """The rows a list field asks for: its first/last/limit, or the page size by default."""
    largest = settings.GRAPHQL_MAX_PAGE_SIZE
    asked = []
    for argument in field.arguments or ():
        if argument.name.value not in {"first", "last", "limit"}:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            name = value.name.value
            asked.append(variables.get(name, defaults.get(name)))
        elif isinstance(value, IntValueNode):
            asked.append(value_from_ast_untyped(value))
    sizes = [size for size in asked if isinstance(size, int) and not isinstance(size, bool)]
    # Beyond the page size the connection refuses the request anyway, with its own message.
    return min(max(sizes), largest) if sizes else largest


class CostEstimate:
    """The objects one operation of a document can return; see the module's docstring."""

    def __init__(self, schema, document, operation: OperationDefinitionNode, variables) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables or {}
        self.defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        root = schema.get_root_type(operation.operation)
        self.total = self.selections(root, operation.selection_set, 1, set())

    def selections(self, parent: GraphQLObjectType, selection_set, many: int, seen) -> int:
        cost = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                cost += self.field(parent, selection, many, seen)
            elif isinstance(selection, InlineFragmentNode):
                within = parent
                if selection.type_condition is not None:
                    within = self.schema.get_type(selection.type_condition.name.value) or parent
                cost += self.selections(within, selection.selection_set, many, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                within = self.schema.get_type(fragment.type_condition.name.value) or parent
                cost += self.selections(within, fragment.selection_set, many, seen | {name})
        return cost

    def selects_items(self, selection_set, seen: set) -> bool:
        """Whether a connection's selection reaches its items (`edges`), through fragments too."""
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value in _ITEM_FIELDS:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if self.selects_items(selection.selection_set, seen):
                    return True
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = self.fragments.get(selection.name.value)
                within = seen | {selection.name.value}
                if fragment is not None and self.selects_items(fragment.selection_set, within):
                    return True
        return False

    def field(self, parent, node: FieldNode, many: int, seen) -> int:
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None or node.selection_set is None:
            return 0  # a leaf, or __typename
        target = get_named_type(definition.type)
        if _is_connection(target):
            if not self.selects_items(node.selection_set, set()):
                return many + self.selections(target, node.selection_set, many, seen)
            size = many * _page_size(node, self.variables, self.defaults)
            return size + self.selections(target, node.selection_set, size, seen)
        if parent.name.endswith("Connection") or (
            parent.name.endswith("Edge") and node.name.value == "node"
        ):
            return self.selections(target, node.selection_set, many, seen)  # counted above
        if (
            isinstance(get_nullable_type(definition.type), GraphQLList)
            and "limit" in definition.args
        ):
            size = many * _page_size(node, self.variables, self.defaults)
            return size + self.selections(target, node.selection_set, size, seen)
        return many + self.selections(target, node.selection_set, many, seen)


# The fields of a connection that hold its items; `nodes` too, should a connection grow one.
_ITEM_FIELDS = frozenset({"edges", "nodes"})


def _is_connection(graphql_type) -> bool:
    fields = getattr(graphql_type, "fields", None) or {}
    return "edges" in fields and "pageInfo" in fields


def _operation(document, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def document_cost(schema, document, operation_name: str | None, variables) -> int:
    """The estimated objects the named (or only) operation of a parsed document can return."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0  # GraphQL's executor reports the missing or ambiguous operation
    return CostEstimate(schema, document, operation, variables).total
