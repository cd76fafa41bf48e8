"""Sessions written once (learningplatform.sessions): a new session is one INSERT, whatever
key collisions and logins come its way, and a login still gives the client a new key."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from learningplatform.sessions import cached_db, db
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests/factories.py's
LOGIN = "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { user { id } } }"


def test_a_new_session_is_one_insert_with_no_check_of_its_key():
    store = db.SessionStore()
    store["x"] = 1
    with CaptureQueriesContext(connection) as captured:
        store.save()
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == 1 and sql[0].startswith("INSERT"), sql
    assert db.SessionStore(store.session_key)["x"] == 1


def test_a_key_already_taken_is_never_overwritten(monkeypatch):
    taken = db.SessionStore()
    taken["owner"] = "first"
    taken.save()
    keys = iter([taken.session_key, taken.session_key, "b" * 32])
    monkeypatch.setattr("learningplatform.sessions.get_random_string", lambda *_: next(keys))
    second = db.SessionStore()
    second["owner"] = "second"
    second.save()
    assert second.session_key == "b" * 32
    assert db.SessionStore(taken.session_key)["owner"] == "first"
    assert Session.objects.count() == 2


@pytest.mark.parametrize("had_a_session", [False, True])
def test_a_login_gives_a_new_key_and_ends_the_old_session(had_a_session):
    user = UserFactory()
    client = Client()
    if had_a_session:
        session = client.session
        session["cart"] = "kept"
        session.save()
        old = session.session_key
        client.cookies["sessionid"] = old
    response = client.post(
        "/graphql/", {"query": LOGIN, "variables": {"u": user.username, "p": PASSWORD}},
        content_type="application/json",
    )  # fmt: skip
    assert response.json()["data"]["login"]["user"] is not None
    new = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=new).exists()
    assert client.post("/graphql/", {"query": "{ me { username } }"},
                       content_type="application/json").json() == {"data": {"me": {"username": user.username}}}  # fmt: skip
    if had_a_session:
        assert new != old and not Session.objects.filter(session_key=old).exists()
        assert db.SessionStore(new)["cart"] == "kept"  # the data moves to the new key


@pytest.mark.parametrize("engine", [db, cached_db])
def test_a_session_is_read_while_it_lasts_and_not_after(engine, settings):
    """The session read by one SQL text loads what was saved, with its expiry, until it
    expires; then nothing, and its key dropped, as Django's own load does; nor an unknown key."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    lasting, expired = engine.SessionStore(), engine.SessionStore()
    for store, seconds in ((lasting, 60), (expired, -1)):
        store["user"] = "someone"
        store.set_expiry(seconds)
        store.save()
    again = engine.SessionStore(lasting.session_key)
    assert again["user"] == "someone"
    row = Session.objects.get(session_key=lasting.session_key)
    assert again._get_session_from_db().expire_date == row.expire_date  # as cached_db reads it
    gone = engine.SessionStore(expired.session_key)
    assert gone.load() == {} and gone.session_key is None
    assert engine.SessionStore("x" * 32).load() == {}
