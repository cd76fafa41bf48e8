"""Read replicas: which database each statement of a request goes to.

With DATABASE_REPLICA_URLS set, a request's reads go to one PostgreSQL streaming replica and its
writes to the primary (`ReplicaRouter`). What a request may read from a replica:

- nothing inside a transaction on the primary (a mutation's), nor of the tables whose freshness
  is a security matter (sessions, login failures): those are read on the primary;
- only from a replica that has replayed the client's own last write. A request that wrote
  remembers the primary's WAL position after it in the client's session (`ReplicaMiddleware`);
  a later request reads from a replica whose `pg_last_wal_replay_lsn()` has passed it, else from
  the primary (ADR 0018);
- only from a replica lagging at most settings.REPLICA_MAX_LAG_MS, and one that answers: a
  replica that fails to connect is skipped for RETRY_SECONDS; a request whose read failed on a
  replica (it stopped under the request), having written nothing, is answered again on the
  primary, so the client never sees the failure.

Each process keeps each replica's last known position and lag (`ReplicaStatus`), asked again
at most every STATUS_SECONDS, or at once when a client's write is past the known position.
Outside a request (commands, the shell) every statement goes to the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# The settings import this module (`replica_databases`) before Django is set up, so Django's
# database and configuration modules are imported in the functions that use them.

logger = logging.getLogger(__name__)

PRIMARY = "default"
# Tables read on the primary whatever the request: a session or a lockout read from a replica
# that has not replayed the latest login or failure would let a client past it.
PRIMARY_APPS = frozenset({"sessions", "axes", "admin", "contenttypes"})
# A replica's position and lag are asked again after this long (a cached position is a safe
# lower bound: replay only moves forward).
STATUS_SECONDS = 0.5
# A replica that failed is not tried again for this long.
RETRY_SECONDS = 5.0
# The client's last write, in its session: the primary's WAL position after it.
SESSION_KEY = "_replica_wal_lsn"
# libpq's own minimum: a replica host that drops packets fails a request's first read in 2 s.
CONNECT_TIMEOUT_SECONDS = 2


def replica_databases(urls: list[str], *, primary: dict) -> dict[str, dict]:
    """The DATABASES entries of the replica URLs (`replica1`, ...), configured as the primary.

    A URL that is not a PostgreSQL URL with a host and a database name stops start-up, naming
    the variable and the entry (without its password).
    """
    import dj_database_url

    if primary["ENGINE"] != "learningplatform.db.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS is set but DATABASE_URL is not PostgreSQL: "
            "replicas are PostgreSQL streaming replicas of the primary."
        )
    databases = {}
    for number, url in enumerate(urls, start=1):
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - reading the port is what checks it
            settings = dj_database_url.parse(url)
            valid = settings["ENGINE"] == "django.db.backends.postgresql"
            valid = valid and bool(settings["HOST"] and settings["NAME"])
        except ValueError:  # dj_database_url's errors (unknown scheme, bad port) are ValueErrors
            valid = False
        if not valid:
            shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS entry {number} ({shown!r}) is not a PostgreSQL URL: "
                "use postgres://user:password@host:5432/name, comma-separated."
            )
        options = dict(primary.get("OPTIONS", {}), connect_timeout=CONNECT_TIMEOUT_SECONDS)
        databases[f"replica{number}"] = settings | {
            "ENGINE": primary["ENGINE"],
            "CONN_MAX_AGE": primary["CONN_MAX_AGE"],
            "CONN_HEALTH_CHECKS": primary["CONN_HEALTH_CHECKS"],
            "DISABLE_SERVER_SIDE_CURSORS": primary["DISABLE_SERVER_SIDE_CURSORS"],
            "OPTIONS": options,
            # Tests create no database for a replica: it reads the primary's test database.
            "TEST": {"MIRROR": PRIMARY},
        }
    return databases


def replica_aliases() -> list[str]:
    from django.conf import settings

    return [alias for alias in settings.DATABASES if alias != PRIMARY]


def lsn_number(text: str | None) -> int:
    """A WAL position ('16/B374D848') as a number that orders as positions do; 0 for none."""
    if not text:
        return 0
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class ReplicaStatus:
    replayed: int = 0  # the WAL position it has replayed
    lag_ms: float = 0.0
    checked: float = float("-inf")  # time.monotonic() of the last answer
    down_until: float = float("-inf")


# Per process, one entry per configured replica: bounded by the settings.
_statuses: dict[str, ReplicaStatus] = {}
_statuses_lock = threading.Lock()

STATUS_SQL = """
SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn()
       END::text,
       CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
            THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0)
       END
"""


def replica_status(alias: str, *, fresh: bool = False) -> ReplicaStatus:
    """What this process knows of a replica, asked again if older than STATUS_SECONDS."""
    from django.db import DatabaseError, connections

    with _statuses_lock:
        status = _statuses.setdefault(alias, ReplicaStatus())
    now = time.monotonic()
    if now < status.down_until or (not fresh and now - status.checked < STATUS_SECONDS):
        return status
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(STATUS_SQL)
            replayed, lag_ms = cursor.fetchone()
    except DatabaseError as error:
        replica_failed(alias, error)
        return status
    with _statuses_lock:
        status.replayed, status.lag_ms, status.checked = lsn_number(replayed), float(lag_ms), now
    return status


def replica_failed(alias: str, error: BaseException) -> None:
    """Skip the replica for RETRY_SECONDS, and let its broken connection go."""
    from django.db import DatabaseError, connections

    with _statuses_lock:
        status = _statuses.setdefault(alias, ReplicaStatus())
        first = status.down_until < time.monotonic()
        status.down_until = time.monotonic() + RETRY_SECONDS
    if first:
        logger.warning(
            "Replica %s failed (%s); reading from the primary, trying it again in %g s.",
            alias, error.__class__.__name__, RETRY_SECONDS,
        )  # fmt: skip
    try:
        connections[alias].close()
    except DatabaseError:
        pass  # already broken: closing it is all that was asked


def replicas_check_at_startup() -> None:
    """Ask each replica once; one that does not answer is logged and skipped, never fatal."""
    from django.db import connections

    for alias in replica_aliases():
        status = replica_status(alias, fresh=True)
        if status.checked == float("-inf"):
            settings = connections[alias].settings_dict
            logger.warning(
                "Replica %s (%s:%s) is unreachable at start-up: skipped until it answers.",
                alias, settings["HOST"], settings["PORT"],
            )  # fmt: skip
        connections[alias].close()  # a preloading server forks after this: no shared sockets


def forget_statuses() -> None:
    """Forget what this process knows of its replicas (tests that stop and start them)."""
    with _statuses_lock:
        _statuses.clear()


@dataclass
class RequestReads:
    """Where one request reads, chosen at its first read; what it did on each database."""

    wanted: int = 0  # the WAL position of the client's last write
    alias: str | None = None
    wrote: bool = False
    failed: tuple[str, BaseException] | None = None  # a replica that failed under the request
    replay: bool = False  # answering again on the primary

    def read_alias(self) -> str:
        if self.alias is None:
            self.alias = PRIMARY if self.replay else choose_replica(self.wanted)
        return self.alias


def choose_replica(wanted: int) -> str:
    """A replica that answers, lags at most REPLICA_MAX_LAG_MS and has replayed `wanted`."""
    from django.conf import settings
    from django.db import DatabaseError, connections

    for alias in replica_aliases():
        status = replica_status(alias)
        if status.replayed < wanted:
            status = replica_status(alias, fresh=True)  # the cached position may be old
        if time.monotonic() < status.down_until or status.checked == float("-inf"):
            continue
        if status.lag_ms > settings.REPLICA_MAX_LAG_MS or status.replayed < wanted:
            continue
        try:
            connections[alias].ensure_connection()  # closed since its status was asked
        except DatabaseError as error:
            replica_failed(alias, error)
            continue
        return alias
    return PRIMARY


_request: ContextVar[RequestReads | None] = ContextVar("replica_request", default=None)


def read_alias(default: str = PRIMARY) -> str:
    """The database the running request reads from now; `default` outside a request."""
    from django.db import connections

    reads = _request.get()
    if reads is None:
        return default
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY  # a mutation reads what its own transaction wrote
    return reads.read_alias()


def read_primary_after_replica_fault() -> bool:
    """If the running request's replica failed under it, skip that replica and read the rest of
    the request (or its retry) on the primary; whether it had."""
    reads = _request.get()
    if reads is None or reads.alias in (None, PRIMARY):
        return False
    # A fault the watch did not see (a connection lost before a statement ran, or found closed)
    # is taken for the replica's too: at worst reads go to the primary for RETRY_SECONDS.
    replica_failed(*(reads.failed or (reads.alias, DatabaseFault())))
    reads.alias, reads.failed, reads.replay = PRIMARY, None, True
    return True


class DatabaseFault(Exception):
    """A replica's fault met outside its statements."""


class ReplicaRouter:
    """Django's database router: reads as `read_alias` says, writes and migrations the primary."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in PRIMARY_APPS:
            return PRIMARY
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, several copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY


READ_VERBS = frozenset({"SELECT", "SHOW", "SET", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"})


def statement_verb(sql: str) -> str:
    """The first word of the statement, after the deadline's `SET LOCAL ...;` if it leads."""
    words = sql.lstrip().split(None, 1)
    verb = words[0].upper() if words else ""
    if verb == "SET" and ";" in sql:
        return statement_verb(sql.split(";", 1)[1])
    return verb


@dataclass
class Watch:
    """Execute wrappers: a write on the primary, a failure on a replica."""

    reads: RequestReads
    wrappers: list[Callable] = field(default_factory=list)

    def primary(self, execute, sql, params, many, context):
        if not self.reads.wrote and (many or statement_verb(sql) not in READ_VERBS):
            self.reads.wrote = True
        return execute(sql, params, many, context)

    def replica(self, alias: str):
        def watch(execute, sql, params, many, context):
            try:
                return execute(sql, params, many, context)
            except Exception as error:
                # A cancelled statement (the request's deadline) is the request's, not the
                # replica's: answering it again would only time out again. A failed status
                # question is not either: the replica was skipped before any read.
                cause = error.__cause__ or error
                if self.reads.alias == alias and getattr(cause, "sqlstate", None) != "57014":
                    self.reads.failed = (alias, error)
                raise

        return watch


class ReplicaMiddleware:
    """Read each request where `RequestReads` says; remember a write's WAL position."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        reads = RequestReads(wanted=lsn_number(request.session.get(SESSION_KEY)))
        response = self.respond(request, reads)
        if reads.failed is not None and not reads.wrote:
            replica_failed(*reads.failed)
            reads = RequestReads(wanted=reads.wanted, replay=True)
            response = self.respond(request, reads)
        if reads.wrote:
            self.remember_write(request)
        return response

    def respond(self, request, reads: RequestReads):
        from contextlib import ExitStack

        from django.db import connections

        watch = Watch(reads)
        token = _request.set(reads)
        try:
            with ExitStack() as stack:
                stack.enter_context(connections[PRIMARY].execute_wrapper(watch.primary))
                for alias in replica_aliases():
                    stack.enter_context(connections[alias].execute_wrapper(watch.replica(alias)))
                return self.get_response(request)
        finally:
            _request.reset(token)

    def remember_write(self, request) -> None:
        """Keep the primary's WAL position in the client's session, if it has one."""
        from django.db import DatabaseError, connections

        if request.session.session_key is None and not request.session.keys():
            return  # no session to carry it (a failed login), and nothing it reads back
        try:
            with connections[PRIMARY].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                (position,) = cursor.fetchone()
        except DatabaseError:
            return  # the response reports the primary's failure; the older position stays
        request.session[SESSION_KEY] = position
