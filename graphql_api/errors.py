"""Errors as clients see them.

Mutations return expected failures in their payload as `errors: [FieldError!]!`, each naming the
input field (in the client's camelCase), a message to show, and a stable `ErrorCode`. Queries
raise `UserError`, whose message and code reach the client; any other exception is masked to
"Unexpected error." (see `should_mask_error`), so no internal detail leaks.
"""

import logging
import re
from enum import Enum

import strawberry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.relay.types import GlobalIDValueError

from graphql_api.ids import INVALID_ID
from graphql_api.library_internals import to_camel_case
from graphql_api.observability import metrics
from graphql_api.unavailable import unavailable_error
from learningplatform.db.faults import database_fault
from learningplatform.deadline import timeout_message


@strawberry.enum(description="Stable, machine-readable error codes.")
class ErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    INVALID_CHOICE = "INVALID_CHOICE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LONG = "TOO_LONG"
    INVARIANT = "INVARIANT"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    NOT_FOUND = "NOT_FOUND"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    MAX_SUBMISSIONS_REACHED = "MAX_SUBMISSIONS_REACHED"
    DEADLINE_PASSED = "DEADLINE_PASSED"
    NOT_OPEN = "NOT_OPEN"
    TIMEOUT = "TIMEOUT"
    THROTTLED = "THROTTLED"
    TOO_COSTLY = "TOO_COSTLY"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    UNAVAILABLE = "UNAVAILABLE"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code, not a secret


# Django's and the services' ValidationError codes, mapped onto the codes clients rely on.
DJANGO_CODES = {
    "required": ErrorCode.REQUIRED,
    "blank": ErrorCode.REQUIRED,
    "null": ErrorCode.REQUIRED,
    "invalid_choice": ErrorCode.INVALID_CHOICE,
    "min_value": ErrorCode.OUT_OF_RANGE,
    "max_value": ErrorCode.OUT_OF_RANGE,
    "max_digits": ErrorCode.OUT_OF_RANGE,
    "max_decimal_places": ErrorCode.OUT_OF_RANGE,
    "max_whole_digits": ErrorCode.OUT_OF_RANGE,
    "max_length": ErrorCode.TOO_LONG,
    "passing_score_above_max_score": ErrorCode.INVARIANT,
    "unique": ErrorCode.DUPLICATE,
    "unique_together": ErrorCode.DUPLICATE,
    "conflict": ErrorCode.CONFLICT,
    "max_submissions_reached": ErrorCode.MAX_SUBMISSIONS_REACHED,
    "deadline_passed": ErrorCode.DEADLINE_PASSED,
    "course_not_open": ErrorCode.NOT_OPEN,
    "task_not_open": ErrorCode.NOT_OPEN,
    "task_not_submittable": ErrorCode.NOT_OPEN,
}


@strawberry.type(description="Why a mutation did not happen; nothing was written.")
class FieldError:
    field: str | None = strawberry.field(
        description="The input field at fault, as named in the input; null for the whole input."
    )
    message: str
    code: ErrorCode


def field_errors(
    error: ValidationError, field_names: dict[str, str] | None = None
) -> list[FieldError]:
    """Turn a Django ValidationError into FieldErrors named as the client named its input."""
    field_names = field_names or {}
    found = []
    for field, messages in (
        error.error_dict.items()
        if hasattr(error, "error_dict")
        else [(NON_FIELD_ERRORS, error.error_list)]
    ):
        name = None if field == NON_FIELD_ERRORS else field_names.get(field, to_camel_case(field))
        for item in messages:
            message = item.message % item.params if item.params else item.message
            code = DJANGO_CODES.get(item.code or "", ErrorCode.INVALID)
            found.append(FieldError(field=name, message=str(message), code=code))
    metrics.errors_counted(item.code.value for item in found)
    return found


def error(code: ErrorCode, message: str, field: str | None = None) -> list[FieldError]:
    metrics.errors_counted((code.value,))
    return [FieldError(field=field, message=message, code=code)]


class UserError(Exception):
    """A query failed because of its input; the message and code are shown to the client."""

    def __init__(self, message: str, code: ErrorCode, fields: list[FieldError] | None = None):
        super().__init__(message)
        self.extensions = {
            "code": code.value,
            "fields": [
                {"field": f.field, "message": f.message, "code": f.code.value} for f in fields or []
            ],
        }


def should_mask_error(error: GraphQLError) -> bool:
    """Mask anything unexpected; keep GraphQL's own validation messages and UserErrors."""
    original = error.original_error
    if original is None:
        return False  # a syntax or validation error about the document itself
    if isinstance(original, UserError | GlobalIDValueError):
        return False  # GlobalIDValueError: an id naming no type of this API; its message says so
    # Strawberry reports bad argument values (wrong type, bad enum) as GraphQLErrors.
    return not isinstance(original, GraphQLError)


logger = logging.getLogger("graphql_api.errors")


def log_errors(errors: list[GraphQLError]) -> None:
    """Log each error once: the client's own mistakes at INFO, one line, no traceback; anything
    unexpected at ERROR with its traceback. Text a client sent (a lone surrogate, say) is
    escaped, so no log handler chokes on it."""
    for error in errors:
        text = str(error).encode("utf-8", "backslashreplace").decode("utf-8")
        if database_fault(error.original_error) is not None:  # not a bug: no traceback
            logger.warning("%s", text.replace("\n", " "))
        elif should_mask_error(error) and not timed_out(error.original_error):
            logger.error("%s", text, exc_info=error.original_error)
        else:
            logger.info("%s", text.replace("\n", " "))


# The code of a GraphQL error that carries none: the document itself was wrong (syntax,
# validation, an argument's value), or something unexpected happened (masked).
INVALID_DOCUMENT = "GRAPHQL_VALIDATION_FAILED"
INTERNAL = "INTERNAL"


def error_code(error: GraphQLError) -> str:
    """The code of an error as metrics count it: its own, or what kind of error it is."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if timed_out(error.original_error):
        return ErrorCode.TIMEOUT.value
    if isinstance(error.original_error, GlobalIDValueError):
        return ErrorCode.INVALID.value
    return INTERNAL if should_mask_error(error) else INVALID_DOCUMENT


# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout (or by an operator).
QUERY_CANCELED = "57014"


def timed_out(error: BaseException | None) -> bool:
    """Whether the database cancelled a statement of this request for running too long."""
    while error is not None:
        if getattr(error, "sqlstate", None) == QUERY_CANCELED:
            return True
        error = error.__cause__
    return False


# graphql-core's " Did you mean 'x', 'y' or 'z'?" after a misspelt name: the names it suggests
# are the schema's, which introspection being off should keep to itself.
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class ClientErrors(MaskErrors):
    """Mask unexpected errors as "Unexpected error.", but say so when the request ran too long
    or the database was unavailable (graphql_api/unavailable.py).

    Every invalid id gets the same message (INVALID_ID), and without introspection no message
    suggests a name from the schema.
    """

    def __init__(self, *, suggestions: bool) -> None:
        super().__init__(should_mask_error=should_mask_error)
        self.suggestions = suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in super()._process_errors(errors):
            message = error.message
            if isinstance(error.original_error, GlobalIDValueError):
                message = INVALID_ID
            elif not self.suggestions:
                message = SUGGESTION.sub("", message)
            if message != error.message:
                error = GraphQLError(
                    message, error.nodes, error.source, error.positions, error.path,
                    extensions=error.extensions,
                )  # fmt: skip
            processed.append(error)
        return processed

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if database_fault(error.original_error) is not None:
            return unavailable_error(error)
        if not timed_out(error.original_error):
            return super().anonymise_error(error)
        return GraphQLError(
            message=timeout_message(),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": ErrorCode.TIMEOUT.value},
        )
