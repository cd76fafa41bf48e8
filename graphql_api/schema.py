"""The API's schema: every domain's root fields, merged, with the request limits and masking.

`build_schema` makes it; the schema this server serves is assembled in `config.schema` (the
composition root), which adds the parts of other installed packages (the legacy names, while
legacy_shim is installed) through `extra_queries`, `extra_mutations` and `extra_extensions`.
"""

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types

from graphql_api.connections import PageLimitConfig
from graphql_api.course.schema import CourseMutation, CourseQuery
from graphql_api.enums import SCALARS
from graphql_api.errors import ClientErrors, log_errors
from graphql_api.inputs import InputCheck
from graphql_api.library_internals import aliases_rule, depth_rule
from graphql_api.limits import CostLimit, OneLoginRule, OperationChoice
from graphql_api.nested import NestedPageCheck
from graphql_api.operation_observer import OperationObserver, graphql_errors_observed
from graphql_api.optimizer import QueryOptimizer
from graphql_api.permissions import ReadTokensCannotMutate
from graphql_api.readpath.execution import ReadPathExecutionContext
from graphql_api.readpath.index import build_index
from graphql_api.submission.schema import SubmissionMutation
from graphql_api.task.schema import TaskMutation, TaskQuery
from graphql_api.transactions import AtomicMutations
from graphql_api.trusted_documents import PreparedDocuments
from graphql_api.user.schema import AccessTokenMutation, AccessTokenQuery, UserMutation, UserQuery

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000

# The rules of QueryDepthLimiter and MaxAliasesLimiter, made once. Those extensions make a new
# rule class each time they are built (for every request), and the validation cache keys on the
# rules: validation was never answered from the cache (docs/performance.md has the cost).
DEPTH_RULE = depth_rule(MAX_DEPTH, None, None)
ALIASES_RULE = aliases_rule(MAX_ALIASES)


class Schema(strawberry.Schema):
    """Strawberry's schema, logging client errors as such (see `log_errors`) and counting them."""

    def process_errors(self, errors, execution_context=None) -> None:
        log_errors(errors)
        graphql_errors_observed(errors, execution_context)


@strawberry.type
class NodeQuery:
    node: relay.Node | None = strawberry_django.node(
        description="Any object by its global id; null if there is none you can see."
    )


def build_schema(
    *,
    introspection: bool,
    extra_queries: tuple[type, ...] = (),
    extra_mutations: tuple[type, ...] = (),
    extra_types: tuple[type, ...] = (),
    extra_extensions: tuple = (),
) -> strawberry.Schema:
    """The schema; without introspection it also stops suggesting field names in errors."""
    # Factories, not instances: Strawberry builds each extension afresh for every request.
    extensions = [
        OperationObserver,  # first: it sees every operation, refused ones included
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        InputCheck,
        OperationChoice,
        lambda: AddValidationRules([DEPTH_RULE, ALIASES_RULE, OneLoginRule]),
        PreparedDocuments,  # the parser and validation caches
        ReadTokensCannotMutate,
        CostLimit,
        NestedPageCheck,
        QueryOptimizer,
        AtomicMutations,
        lambda: ClientErrors(suggestions=introspection),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    extensions += extra_extensions
    built = Schema(
        query=merge_types(
            "Query",
            (NodeQuery, CourseQuery, TaskQuery, UserQuery, AccessTokenQuery, *extra_queries),
        ),
        mutation=merge_types(
            "Mutation",
            (
                CourseMutation,
                TaskMutation,
                SubmissionMutation,
                UserMutation,
                AccessTokenMutation,
                *extra_mutations,
            ),
        ),  # fmt: skip
        types=extra_types,
        extensions=extensions,
        execution_context_class=ReadPathExecutionContext,
        config=PageLimitConfig(  # pages of at most settings.GRAPHQL_MAX_PAGE_SIZE, read per request
            disable_field_suggestions=not introspection,
            scalar_map=SCALARS,
        ),
    )
    build_index(built)
    return built
