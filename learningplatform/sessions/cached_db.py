"""Sessions in the database, read through the cache; each new one written once
(learningplatform.sessions)."""

from django.contrib.sessions.backends import cached_db

from learningplatform.sessions import WrittenOnce


class SessionStore(WrittenOnce, cached_db.SessionStore):
    pass
