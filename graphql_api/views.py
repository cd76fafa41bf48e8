"""The /graphql/ endpoint: Strawberry's Django view with this project's HTTP rules.

- POST bodies must be JSON (`application/json`): browsers cannot send that cross-site without a
  CORS preflight, which this server never grants, so forged form or text/plain posts are refused.
- A POST from a logged-in session must carry the CSRF token (header `X-CSRFToken`, the value of
  the `csrftoken` cookie that any GET and the login mutation set), as Django forms do; requests
  without a session have nothing to forge and need none.
- GET may run queries, never mutations (Strawberry refuses them).
- Every error response is JSON: `{"errors": [{"message": ...}]}`.
- GraphiQL is served when settings.GRAPHIQL is on, with its assets from this project.
- Answers are encoded by orjson (the 2,100 objects of bench/'s nested 100 x 20 query: about
  0.5 ms instead of 7 ms with the json module); anything orjson refuses (integers beyond 64 bits,
  lone surrogates, non-string keys) is encoded as before, by Django's encoder.
"""

import json

import orjson
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView as StrawberryGraphQLView

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


def _problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message}]}, status=status)


def _csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return _problem(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")


_django_default = DjangoJSONEncoder().default


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
                csrf._reject = _csrf_failure
                if (rejection := csrf.process_view(request, None, (), {})) is not None:
                    return rejection
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            # Strawberry answers malformed requests in plain text; clients expect JSON errors.
            return _problem(response.status_code, response.content.decode(errors="replace"))
        return response

    def encode_json(self, data: object) -> bytes | str:
        try:
            # Datetimes pass through to Django's encoder, which writes them as before.
            return orjson.dumps(
                data, default=_django_default, option=orjson.OPT_PASSTHROUGH_DATETIME
            )
        except orjson.JSONEncodeError:
            return super().encode_json(data)

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        context = {"default_query": json.dumps(EXAMPLE_QUERY)}
        return render(request, "graphql_api/graphiql.html", context)
