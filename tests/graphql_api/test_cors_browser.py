"""A frontend on another origin, in a real headless Chromium: a listed origin logs in, queries and
mutates with fetch(..., {credentials: "include"}); an unlisted origin is refused by the browser."""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from learningplatform.models import Course
from tests.factories import CourseFactory, InstructorFactory
from tests.helpers import NEEDS_CHROMIUM, chromium, free_port

pytestmark = [
    pytest.mark.slow,  # starts servers and a browser
    NEEDS_CHROMIUM,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple"

# The frontend: the way a single-page app calls the API, with the CSRF token read from the
# csrftoken cookie (cookies are per host, not per port; per parent domain with
# CSRF_COOKIE_DOMAIN in production).
PAGE = """<!doctype html><title>frontend</title><script>
window.gql = async (api, query, variables) => {
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  const response = await fetch(api, {
    method: "POST", credentials: "include",
    headers: {"Content-Type": "application/json",
              ...(csrf ? {"X-CSRFToken": csrf.split("=")[1]} : {})},
    body: JSON.stringify({query, variables}),
  });
  return {status: response.status, body: await response.json()};
};
window.getQuery = async (api, query) => {
  const response = await fetch(api + "?query=" + encodeURIComponent(query), {credentials: "include"});
  return {status: response.status, body: await response.json()};
};
window.attempt = async (call) => {
  try { return {ok: await call()}; } catch (error) { return {refused: String(error)}; }
};
</script>"""

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { username } errors { code } } }"
ME = "{ me { username } }"
CATALOGUE = "{ courses { edges { node { title } } } }"
NEW_COURSE = 'mutation { createCourse(input: {title: "Made cross-origin"}) { course { title } errors { code } } }'


class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def frontend():
    """The frontend's page, served from another port of the same host as the API."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def origins(settings):
    """Two frontends: one listed in CORS_ALLOWED_ORIGINS (and so CSRF-trusted), one not."""
    with frontend() as listed, frontend() as unlisted:
        settings.CORS_ALLOWED_ORIGINS = [listed]
        settings.CSRF_TRUSTED_ORIGINS = [listed]
        # Plain HTTP on loopback: cookies may not be Secure-only here.
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
        yield listed, unlisted


@pytest.fixture
def data():
    CourseFactory(title="Seen from afar")
    return InstructorFactory(username="cross-origin-teacher")


def from_page(origin: str, api: str, *calls: tuple) -> list[dict]:
    """Open the frontend's page at `origin` and make its calls to `api`, in order: each answer
    is {"ok": {"status", "body"}}, or {"refused": the error fetch raised}."""
    with chromium() as browser:
        page = browser.new_page()
        page.goto(origin)
        return [
            page.evaluate(f"(args) => attempt(() => {function}(...args))", [api, *args])
            for function, *args in calls
        ]


def test_a_listed_origin_logs_in_queries_and_mutates(live_server, origins, data):
    listed, _ = origins
    catalogue, login, me, created = from_page(
        listed,
        f"{live_server.url}/graphql/",
        ("getQuery", CATALOGUE),
        ("gql", LOGIN, {"u": data.username, "p": PASSWORD}),
        ("gql", ME),
        ("gql", NEW_COURSE),
    )
    assert catalogue["ok"]["body"]["data"]["courses"]["edges"] == [
        {"node": {"title": "Seen from afar"}}
    ]
    assert login["ok"]["body"]["data"]["login"] == {
        "user": {"username": data.username},
        "errors": [],
    }
    assert me["ok"]["body"] == {"data": {"me": {"username": data.username}}}
    assert created["ok"] == {
        "status": 200,
        "body": {
            "data": {"createCourse": {"course": {"title": "Made cross-origin"}, "errors": []}}
        },
    }
    assert Course.objects.get(title="Made cross-origin").instructor == data


def test_an_unlisted_origin_is_refused_by_the_browser(live_server, origins, data):
    _, unlisted = origins
    answers = from_page(
        unlisted,
        f"{live_server.url}/graphql/",
        ("getQuery", CATALOGUE),
        ("gql", LOGIN, {"u": data.username, "p": PASSWORD}),
        ("gql", NEW_COURSE),
    )
    assert all("Failed to fetch" in answer.get("refused", "") for answer in answers), answers
    assert not Course.objects.filter(title="Made cross-origin").exists()
