"""GraphQL's executor, with the read path in front of it.

`ReadPathExecutionContext` is the schema's execution context. A query's root fields go to the
read path first (graphql_api/readpath/read.py) unless the kill switch is off; what it cannot
answer exactly as the executor would goes to the executor, with the reason recorded. Inside the
executor, a column field of a model instance is answered at once (the scalar's serialization of
the loaded value, or null), without building a resolve-info object and calling Strawberry's
resolver layers for each field of each object.
"""

from django.conf import settings
from graphql import Undefined
from strawberry.relay import to_base64

from graphql_api.library_internals import (
    StrawberryGraphQLCoreExecutionContext,
    resolve_middlewares,
)
from graphql_api.observability import metrics
from graphql_api.readpath import fallbacks
from graphql_api.readpath.fallbacks import Fallback
from graphql_api.readpath.index import index_of
from graphql_api.readpath.read import read_document

MISSING = object()


def fast_reads_on() -> bool:
    """The kill switch: settings.GRAPHQL_FAST_READS (from the environment), read per request.

    Off, GraphQL's executor answers every field through Strawberry's resolvers, as without this
    package.
    """
    return getattr(settings, "GRAPHQL_FAST_READS", True)


class ReadPathExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_collected_root_fields(
        self, root_type, root_value, grouped_field_set, serially, new_defer_usages
    ):
        if serially:
            metrics.answered(path="executor", reason="mutation")
        elif not fast_reads_on():
            metrics.answered(path="executor", reason="kill_switch")
        else:
            data = self.read(root_type, grouped_field_set, new_defer_usages)
            if data is not None:
                metrics.answered(path="read_path", reason="")
                return data
        return super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, serially, new_defer_usages
        )

    def read(self, root_type, grouped_field_set, new_defer_usages) -> dict | None:
        """The read path's data, or None after recording (and counting, by its reason's class)
        why the executor must answer."""
        try:
            index = index_of(self.schema)
            if index is None:
                raise Fallback("the schema was built without the read path's index")
            if new_defer_usages:
                raise Fallback("@defer")
            if middlewares := resolve_middlewares(self):
                names = ", ".join(sorted({type(m).__name__ for m in middlewares}))
                raise Fallback(f"an extension with a resolve hook ({names})")
            return read_document(self, index, root_type, grouped_field_set)
        except Fallback as fallback:
            operation = self.operation
            document = operation.loc.source.body if operation.loc else ""
            name = operation.name.value if operation.name else None
            fallbacks.record(fallback.reason, document, name)
            metrics.answered(path="executor", reason=fallbacks.reason_class(fallback.reason))
            return None

    # The column shortcut, for every document the executor answers (mutations, and queries the
    # read path declines). Without it, in one run of bench/readpath_switches.py (2026-12-03):
    # 1.42x the CPU for the nested 100 x 20 query answered by the executor, 1.16x for a course
    # with its tasks, 1.04x to 1.10x for `updateTask` (four runs).
    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        index = index_of(self.schema) if fast_reads_on() else None
        entry = index.types.get(parent_type.name) if index else None
        if entry is not None and not resolve_middlewares(self):
            column = entry.columns.get(field_details_list[0].node.name.value)
            # Private columns and annotations: their resolvers decide, not the loaded value.
            if column is not None and not column.private and column.annotation is None:
                value = getattr(source, "__dict__", {}).get(column.attname, MISSING)
                if value is None and not column.non_null:
                    return None
                if value is not MISSING and value is not None:
                    if column.global_id_of is not None:
                        value = to_base64(column.global_id_of, value)
                    try:
                        coerced = column.leaf.coerce_output_value(value)
                    except Exception:  # noqa: BLE001 - the executor reports it, as before
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        return coerced
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
