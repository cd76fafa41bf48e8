"""Django's database session engines, each new session written once (`WrittenOnce`), each
session read by one SQL text (`ReadBySQL`).

Django's `create()` asks the database whether a new random key is taken, then INSERTs it in a
savepoint, and a login (`cycle_key`) does that at once and then UPDATEs the same row when the
response is sent: four statements for one new row. Here a new session gets its key when it is
first saved, by one INSERT that refuses a key already taken (must_create: Django's CreateError,
then another key), which is the guarantee the existence check gave, without its statement.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string


class WrittenOnce:
    """A session store mixin: a new session is INSERTed once, when it is saved."""

    def create(self) -> None:
        while True:
            self._session_key = get_random_string(32, VALID_KEY_CHARS)
            try:
                self.save(must_create=True)
            except CreateError:
                continue  # a key already taken: another one
            self.modified = True
            return

    def cycle_key(self) -> None:
        """A new key for the same data (a login), written when the response saves the session."""
        data, key = self._session, self.session_key
        self._session_key = None
        self._session_cache = data
        self.modified = True
        if key:
            self.delete(key)


class ReadBySQL:
    """A session store mixin: the session's row read by one SQL text, not a queryset.

    Every signed-in request reads its session; Django builds, compiles and runs a queryset
    for it and makes a model instance, about three times the CPU of the statement itself. The
    statement is the same (the key, and an expiry after now), on the database the router reads
    the model from, with the expiry's value converted as Django converts it.
    """

    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        expire_date = model._meta.get_field("expire_date")
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {table} "  # noqa: S608  # nosec B608 - a table's name
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        data, expires = row
        column = expire_date.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(column):
            expires = converter(expires, column, connection)
        return model(session_key=self.session_key, session_data=data, expire_date=expires)
