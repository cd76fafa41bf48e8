"""strawberry-django's query optimizer, without its per-field hook.

DjangoOptimizerExtension does two things: while a request executes it is the optimizer every
strawberry-django field consults when it builds a queryset (lists, connections, nodes: the
joins and prefetches that keep a query at a fixed number of statements), and it also wraps
every resolver of every field, to optimize a queryset a hand-written resolver might return.
This API's resolvers all go through strawberry-django fields, so the wrapper only costs: any
schema extension with a `resolve` hook makes GraphQL call every field, leaf or not, through
Strawberry's middleware path, about half of a 2,100-object query's time (bench/api.py).

The statement-count tests (tests/graphql_api/test_queries.py and the legacy ones) hold the
optimization in place: they fail if a list stops being joined or prefetched.
"""

from strawberry.extensions import SchemaExtension
from strawberry_django.optimizer import DjangoOptimizerExtension


class QueryOptimizer(DjangoOptimizerExtension):
    resolve = SchemaExtension.resolve  # no per-field hook: fields optimize their own querysets
