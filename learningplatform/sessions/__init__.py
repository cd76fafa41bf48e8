"""Django's database session engines, each new session written once (`WrittenOnce`).

Django's `create()` asks the database whether a new random key is taken, then INSERTs it in a
savepoint, and a login (`cycle_key`) does that at once and then UPDATEs the same row when the
response is sent: four statements for one new row. Here a new session gets its key when it is
first saved, by one INSERT that refuses a key already taken (must_create: Django's CreateError,
then another key), which is the guarantee the existence check gave, without its statement.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
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
