"""Sessions in the database, read through the cache: each new one written once, each read
by one SQL text (learningplatform.sessions)."""

from django.contrib.sessions.backends import cached_db

from learningplatform.sessions import ReadBySQL, WrittenOnce


class SessionStore(ReadBySQL, WrittenOnce, cached_db.SessionStore):
    pass
