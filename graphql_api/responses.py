"""How /graphql/ answers, per the GraphQL-over-HTTP specification: media type, `data`, status.

- The media type follows `Accept`: `application/graphql-response+json` for clients that prefer
  it, `application/json` for those that ask for it, for `*/*` and for no `Accept` at all (the
  spec's default for clients written before the new type existed).
- An error raised before execution (the document does not parse or validate, a variable cannot
  be coerced, a limit refuses the document) leaves no `data` entry, as the GraphQL spec says;
  an error during execution leaves `data` (null where a field failed).
- With `application/graphql-response+json`, a response without `data` is a 400; with
  `application/json` it stays a 200, which clients of that type expect.
"""

from django.http import HttpRequest, JsonResponse
from graphql import GraphQLError

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def response_media_type(request: HttpRequest) -> str:
    """The media type to answer in, with its charset, chosen from the request's Accept."""
    if not request.headers.get("Accept"):
        return JSON
    # application/json first: a wildcard (*/*, application/*) picks it, as the spec asks.
    chosen = request.get_preferred_type([JSON, GRAPHQL_RESPONSE_JSON])
    return f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8" if chosen == GRAPHQL_RESPONSE_JSON else JSON


def raised_before_execution(errors: list[GraphQLError] | None, data: object) -> bool:
    """Whether a result failed before execution: no data, and no error names a field's path."""
    return data is None and bool(errors) and all(error.path is None for error in errors)


def status_for(media_type: str, response_data: dict) -> int | None:
    """The spec's status for an answer in `media_type`; None leaves the one already set."""
    if media_type.startswith(GRAPHQL_RESPONSE_JSON) and "data" not in response_data:
        return 400
    return None


def problem(status: int, message: str, code: str | None = None) -> JsonResponse:
    """An error answered outside GraphQL's execution, in the shape of GraphQL's errors."""
    error = {"message": message} | ({"extensions": {"code": code}} if code else {})
    return JsonResponse({"errors": [error]}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """The site's 404 (also /metrics' answer to whoever may not scrape it)."""
    return problem(404, "Nothing here: the API is at /graphql/.")
