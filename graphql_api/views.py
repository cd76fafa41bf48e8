"""The /graphql/ endpoint: Strawberry's Django view with this project's HTTP rules.

- POST bodies must be JSON (`application/json`): browsers cannot send that cross-site without a
  CORS preflight, which this server never grants, so forged form or text/plain posts are refused.
- A request may authenticate with a personal access token instead, `Authorization: Bearer
  lpat_...` (learningplatform/access_tokens.py): it is then its token's user, no session cookie
  is read and no CSRF token is needed; a refused token is a JSON 400, 401 or 429 that says why.
- A POST from a logged-in session must carry the CSRF token (header `X-CSRFToken`, the value of
  the `csrftoken` cookie that any GET and the login mutation set), as Django forms do; requests
  without a session have nothing to forge and need none.
- GET may run queries, never mutations: a mutation over GET is a 405 with `Allow: POST`; any
  method but GET, POST and OPTIONS is a 405 with `Allow: GET, POST` (RFC 9110).
- The answer's media type, its `data` entry and its status follow the GraphQL-over-HTTP spec
  (`application/graphql-response+json` by Accept; graphql_api/responses.py).
- A trusted document (shipped, or registered from a client's manifest) may be sent by id
  instead of its text, `{"documentId": "sha256:...", "variables": ...}` or Apollo's
  `extensions.persistedQuery`, by POST or GET; with GRAPHQL_TRUSTED_DOCUMENTS_ONLY nothing else
  runs (graphql_api/trusted_documents.py).
- Every error response is JSON: `{"errors": [{"message": ...}]}`, and a body that is not a JSON
  object (invalid UTF-8, `null`, `5`, nesting too deep to parse) is a 400 that says so; the rest
  of the site answers its errors in JSON too (`json_error_handlers`, installed by config/urls.py).
- A database outage answers 503 with Retry-After and the code UNAVAILABLE, after one retry of a
  request that wrote nothing (graphql_api/unavailable.py); the 500 handler answers one met
  outside the view the same way.
- GraphiQL is served when settings.GRAPHIQL is on, with its assets from this project.
- Answers are encoded by orjson, much faster than the json module on large answers
  (docs/performance.md); anything orjson refuses (integers beyond 64 bits, lone surrogates,
  non-string keys) is encoded as before, by Django's encoder.
"""

import dataclasses
import json
import sys
from importlib import import_module

import orjson
from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView as StrawberryGraphQLView

from graphql_api.library_internals import InvalidOperationTypeError, csrf_check_answered_by
from graphql_api.limits import check_document_size
from graphql_api.responses import (
    problem,
    raised_before_execution,
    response_media_type,
    status_for,
)
from graphql_api.trusted_documents import DocumentRefused, resolve_document
from graphql_api.unavailable import answer_through_outages, note_outage, outage_response
from learningplatform.access_tokens import TokenRefused, access_token_of_request
from learningplatform.db.faults import database_fault

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


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """Why a session's POST failed the CSRF check, in JSON (also settings.CSRF_FAILURE_VIEW)."""
    if reason.startswith(("Referer checking failed", "Origin checking failed")):
        return problem(
            403,
            "CSRF check failed: over HTTPS a POST that carries a session must send an Origin or "
            "Referer header naming this site (or an origin in CSRF_TRUSTED_ORIGINS).",
        )
    return problem(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")


_django_default = DjangoJSONEncoder().default

NOT_AN_OBJECT = 'The request body must be a JSON object such as {"query": "{ me { id } }"}.'


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 400 page, in JSON: oversized bodies, disallowed hosts, other suspicious input."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return problem(400, f"The request body is larger than the {limit} KiB this server takes.")
    if isinstance(exception, DisallowedHost):
        return problem(400, "This server does not answer to that host name.")
    return problem(400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem(403, "Permission denied.")


def server_error(request: HttpRequest) -> JsonResponse:
    if database_fault(sys.exc_info()[1]) is not None:  # Django calls this inside its `except`
        return outage_response(
            request, written=False if request.method in ("GET", "HEAD") else None
        )
    return problem(500, "Unexpected error.")


def token_refused(refused: TokenRefused) -> JsonResponse:
    """A refused token in JSON, with RFC 6750's WWW-Authenticate on a 401."""
    response = JsonResponse(
        {"errors": [{"message": str(refused), "extensions": {"code": refused.code}}]},
        status=refused.status,
    )
    if refused.status == 401:
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if refused.status == 429:
        response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def authenticate_by_token(request: HttpRequest) -> JsonResponse | None:
    """Make a request that sends a token its token's user, with a session that reads no cookie;
    the refusal to answer if its token is refused."""
    try:
        token = access_token_of_request(request)
    except TokenRefused as refused:
        return token_refused(refused)
    request.access_token = token
    if token is not None:
        request.user = token.user
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return None


class MethodNotAllowed(HTTPException):
    """A 405, with the methods that would have worked (RFC 9110's Allow header)."""

    def __init__(self, allow: str, reason: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(StrawberryGraphQLView):
    allow_queries_via_get = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if not settings.GRAPHIQL:
            self.graphql_ide = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":  # a CORS preflight never gets here (corsheaders answers)
            response = HttpResponse(status=204)
            response["Allow"] = "GET, POST, OPTIONS"
            return response
        return answer_through_outages(request, lambda: self.answer(request))

    def answer(self, request: HttpRequest) -> HttpResponse:
        if (refusal := authenticate_by_token(request)) is not None:
            return refusal
        by_token = request.access_token is not None
        if request.method == "GET" and not by_token:
            get_token(request)  # hands out the csrftoken cookie that session POSTs send back
        if request.method == "POST":
            if request.content_type != "application/json":
                return problem(415, "Send the GraphQL request as application/json.")
            if request.user.is_authenticated and not by_token:
                csrf = csrf_check_answered_by(csrf_failure)
                if (rejection := csrf.process_view(request, None, (), {})) is not None:
                    return rejection
        try:
            return self.run(request=request)
        except DocumentRefused as refused:
            return problem(refused.status, str(refused), refused.code)
        except HTTPException as refused:
            # Strawberry's own dispatch answers these in plain text; clients expect JSON errors.
            response = problem(refused.status_code, refused.reason)
            if isinstance(refused, MethodNotAllowed):
                response["Allow"] = refused.allow
            return response

    def is_request_allowed(self, request) -> bool:
        if request.method not in {"GET", "POST"}:
            raise MethodNotAllowed(
                "GET, POST", f"/graphql/ takes GET and POST, not {request.method}."
            )
        return True

    def execute_single(self, **kwargs):
        try:
            result = super().execute_single(**kwargs)
        except HTTPException as refused:
            if isinstance(refused.__cause__, InvalidOperationTypeError):
                raise MethodNotAllowed(
                    "POST", "Mutations are not allowed over GET: send them by POST."
                ) from None
            raise
        note_outage(kwargs["request"], result, kwargs["sub_response"])
        return result

    def get_sub_response(self, request: HttpRequest) -> HttpResponse:
        sub_response = super().get_sub_response(request)
        sub_response["Content-Type"] = response_media_type(request)
        return sub_response

    def process_result(self, request: HttpRequest, result) -> dict:
        response_data = super().process_result(request, result)
        if raised_before_execution(result.errors, result.data):
            del response_data["data"]
        return response_data

    def create_response(self, response_data, sub_response: HttpResponse) -> HttpResponse:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and (
            status := status_for(response["Content-Type"], response_data)
        ):
            response.status_code = status
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
        query = resolve_document(payload, request_data.extensions)  # DocumentRefused: dispatch
        return dataclasses.replace(request_data, query=query)

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
