"""Stateless app servers: two production servers on one database, and a client (as behind a
load balancer without sticky sessions) sent to the other one at every request."""

import contextlib
import secrets

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from graphql_api.client import GraphQLClient
from learningplatform.choices import Visibility
from tests.factories import CourseFactory, InstructorFactory, TaskFactory, UserFactory
from tests.helpers import PRODUCTION, global_id, gunicorn, server_env

pytestmark = [
    pytest.mark.slow,  # starts two servers
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a database two servers share"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "a long enough password"  # noqa: S105 - test accounts'
LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  user { username } errors { message code } } }"""
ME = "{ me { username } }"
CREATE = """mutation($title: String!) { createCourse(input: {title: $title}) {
  course { id title } errors { message } } }"""
VISIBILITY = """mutation($id: ID!, $v: Visibility!) { updateCourse(input: {id: $id, visibility: $v}) {
  course { visibility } errors { message } } }"""
TASKS_OF = "query($course: ID!) { tasks(filter: {course: $course}) { totalCount } }"


class Alternating(GraphQLClient):
    """A browser whose every request a load balancer sends to the next server."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(urls[0])
        self.urls, self.sent = urls, 0

    def post(self, query: str, variables: dict | None = None, **kwargs):
        self.close()
        self.url = self.urls[self.sent % len(self.urls)]
        self.sent += 1
        return super().post(query, variables, **kwargs)


def signed_in(urls: list[str], user) -> Alternating:
    """A client holding the session a login would give it: the password hash of a real login
    would spend this test's time (the first test logs in for real)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import override_settings

    with override_settings(SECRET_KEY=PRODUCTION["SECRET_KEY"]):  # the servers' key
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    client = Alternating(urls)
    client.cookies = {"sessionid": session.session_key, "csrftoken": secrets.token_hex(16)}
    return client


def account(factory, username: str):
    user = factory(username=username)
    # Hashed as the servers (production settings) hash, not with the tests' fast hasher.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "pepper" * 3)
    user.save(update_fields=["password"])
    return user


@contextlib.contextmanager
def two_servers(tmp_path, **settings: str):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = server_env(url, tmp_path, **settings)
    with gunicorn(env) as first, gunicorn(env) as second:
        yield [first, second]


def test_a_client_moving_between_servers_keeps_its_session_and_csrf_token(tmp_path):
    account(InstructorFactory, "teacher")
    with two_servers(tmp_path) as urls:
        client = Alternating(urls)
        logged_in = client.execute(LOGIN, {"u": "teacher", "p": PASSWORD})  # first server
        token = client.csrf_token()
        answers = [client.post(ME)[1] for _ in range(4)]  # second, first, second, first
        written = [client.execute(CREATE, {"title": f"Course {n}"}) for n in range(2)]

    assert logged_in["login"] == {"user": {"username": "teacher"}, "errors": []}
    assert answers == [{"data": {"me": {"username": "teacher"}}}] * 4
    assert [w["createCourse"]["errors"] for w in written] == [[], []]  # CSRF accepted by both
    assert client.csrf_token() == token


def test_both_servers_kept_plans_follow_a_write_through_the_other(tmp_path):
    instructor, student = InstructorFactory(), UserFactory()
    course = CourseFactory(instructor=instructor, visibility=Visibility.PUBLIC)
    TaskFactory(course=course)
    with two_servers(tmp_path) as urls:
        teacher, learner = signed_in(urls, instructor), signed_in(urls, student)
        course_id = global_id(course)
        variables = {"course": course_id}
        # Each server plans the learner's document, and keeps the plan (it checked the course).
        seen = [learner.post(TASKS_OF, variables)[1] for _ in range(4)]
        teacher.execute(VISIBILITY, {"id": course_id, "v": "PRIVATE"})
        hidden = [learner.post(TASKS_OF, variables)[1] for _ in range(2)]  # one on each server
        teacher.execute(VISIBILITY, {"id": course_id, "v": "PUBLIC"})
        shown = [learner.post(TASKS_OF, variables)[1] for _ in range(2)]

    assert seen == [{"data": {"tasks": {"totalCount": 1}}}] * 4
    assert all(answer.get("errors") for answer in hidden), hidden
    assert shown == [{"data": {"tasks": {"totalCount": 1}}}] * 2


def test_a_lockout_counted_on_one_server_holds_on_the_other(tmp_path):
    account(UserFactory, "target")
    with two_servers(tmp_path, LOGIN_FAILURE_LIMIT="3") as urls:
        client = Alternating(urls)
        failures = [client.post(LOGIN, {"u": "target", "p": "wrong"})[1] for _ in range(3)]
        locked = [client.post(LOGIN, {"u": "target", "p": PASSWORD}) for _ in range(2)]

    assert all(f["data"]["login"]["user"] is None for f in failures), failures
    for status, answer in locked:  # the right password, on either server: still locked out
        assert status == 200 and answer["data"]["login"]["user"] is None, answer
        assert answer["data"]["login"]["errors"][0]["code"] == "THROTTLED", answer
