"""The /graphql/ endpoint: Strawberry's Django view with this project's HTTP rules.

- POST bodies must be JSON (`application/json`): browsers cannot send that cross-site without a
  CORS preflight, which this server never grants, so forged form or text/plain posts are refused.
- A POST from a logged-in session must carry the CSRF token (header `X-CSRFToken`, the value of
  the `csrftoken` cookie that any GET and the login mutation set), as Django forms do; requests
  without a session have nothing to forge and need none.
- GET may run queries, never mutations (Strawberry refuses them).
- A trusted document may be sent by id instead of its text, `{"documentId": "sha256:...",
  "variables": ...}`, by POST or GET; with GRAPHQL_TRUSTED_DOCUMENTS_ONLY nothing else runs
  (graphql_api/trusted_documents.py).
- Every error response is JSON: `{"errors": [{"message": ...}]}`, and a body that is not a JSON
  object (invalid UTF-8, `null`, `5`, nesting too deep to parse) is a 400 that says so; the rest
  of the site answers its errors in JSON too (`json_error_handlers`, installed by config/urls.py).
- GraphiQL is served when settings.GRAPHIQL is on, with its assets from this project.
- Answers are encoded by orjson, much faster than the json module on large answers
  (docs/performance.md); anything orjson refuses (integers beyond 64 bits, lone surrogates,
  non-string keys) is encoded as before, by Django's encoder.
"""

import dataclasses
import json

import orjson
from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView as StrawberryGraphQLView

from graphql_api.limits import check_document_size
from graphql_api.trusted_documents import DocumentRefused, resolve_document

EXAMPLE_QUERY = """# Published public courses with their first tasks. Run it with Ctrl-Enter.
query Catalogue {
  courses(first: 5, orderBy: {field: CREATED_AT, direction: DESC}) {
    totalCount
    edges {
      node {
        id
        title
        difficultyLevel
        instructor { username }
        tasks(first: 3) { edges { node { title taskType deadline } } }
      }
    }
  }
}
"""


def _problem(status: int, message: str, code: str | None = None) -> JsonResponse:
    error = {"message": message} | ({"extensions": {"code": code}} if code else {})
    return JsonResponse({"errors": [error]}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """Why a session's POST failed the CSRF check, in JSON (also settings.CSRF_FAILURE_VIEW)."""
    if reason.startswith(("Referer checking failed", "Origin checking failed")):
        return _problem(
            403,
            "CSRF check failed: over HTTPS a POST that carries a session must send an Origin or "
            "Referer header naming this site (or an origin in CSRF_TRUSTED_ORIGINS).",
        )
    return _problem(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")


_django_default = DjangoJSONEncoder().default

NOT_AN_OBJECT = 'The request body must be a JSON object such as {"query": "{ me { id } }"}.'


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 400 page, in JSON: oversized bodies, disallowed hosts, other suspicious input."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return _problem(400, f"The request body is larger than the {limit} KiB this server takes.")
    if isinstance(exception, DisallowedHost):
        return _problem(400, "This server does not answer to that host name.")
    return _problem(400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _problem(403, "Permission denied.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _problem(404, "Nothing here: the API is at /graphql/.")


def server_error(request: HttpRequest) -> JsonResponse:
    return _problem(500, "Unexpected error.")


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(StrawberryGraphQLView):
    allow_queries_via_get = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if not settings.GRAPHIQL:
            self.graphql_ide = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "GET":
            get_token(request)  # hands out the csrftoken cookie that session POSTs send back
        if request.method == "POST":
            if request.content_type != "application/json":
                return _problem(415, "Send the GraphQL request as application/json.")
            if request.user.is_authenticated:
                csrf = CsrfViewMiddleware(lambda request: HttpResponse())
                csrf._reject = csrf_failure
                if (rejection := csrf.process_view(request, None, (), {})) is not None:
                    return rejection
        try:
            response = super().dispatch(request, *args, **kwargs)
        except DocumentRefused as refused:
            return _problem(refused.status, str(refused), refused.code)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            # Strawberry answers malformed requests in plain text; clients expect JSON errors.
            return _problem(response.status_code, response.content.decode(errors="replace"))
        return response

    def decode_json(self, data: str | bytes) -> object:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            return json.loads(text)
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not UTF-8 encoded JSON.") from None
        except RecursionError:
            raise HTTPException(
                400, "The request body nests arrays or objects too deeply."
            ) from None
        except ValueError as error:  # a JSONDecodeError, or a number of more than 4,300 digits
            reason = (
                error.msg if isinstance(error, json.JSONDecodeError) else "a number is too long"
            )
            raise HTTPException(400, f"The request body is not valid JSON: {reason}.") from None

    def parse_http_body(self, request):
        # Strawberry decodes the body as UTF-8 and reads it as an object before checking either.
        if request.method == "POST":
            payload = self.parse_json(request.request.body)
            if not isinstance(payload, dict | list):
                raise HTTPException(400, NOT_AN_OBJECT)
        else:
            payload = request.query_params
        check_document_size(payload)  # before anything reads the document
        request_data = super().parse_http_body(request)
        if isinstance(payload, list):  # a batch: Strawberry refuses it (batching is off)
            return request_data
        return dataclasses.replace(request_data, query=resolve_document(payload))

    def encode_json(self, data: object) -> bytes | str:
        try:
            # Datetimes pass through to Django's encoder, which writes them as before.
            return orjson.dumps(
                data, default=_django_default, option=orjson.OPT_PASSTHROUGH_DATETIME
            )
        except orjson.JSONEncodeError:
            return super().encode_json(data)

    def should_render_graphql_ide(self, request) -> bool:
        # A GET that names a trusted document runs it, whatever its Accept header says.
        return request.query_params.get("documentId") is None and super().should_render_graphql_ide(
            request
        )

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        context = {"default_query": json.dumps(EXAMPLE_QUERY)}
        return render(request, "graphql_api/graphiql.html", context)
