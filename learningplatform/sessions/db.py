"""Sessions in the database: each new one written once, each read by one SQL text
(learningplatform.sessions)."""

from django.contrib.sessions.backends import db

from learningplatform.sessions import ReadBySQL, WrittenOnce


class SessionStore(ReadBySQL, WrittenOnce, db.SessionStore):
    pass
