"""Sessions in the database, each new one written once (learningplatform.sessions)."""

from django.contrib.sessions.backends import db

from learningplatform.sessions import WrittenOnce


class SessionStore(WrittenOnce, db.SessionStore):
    pass
