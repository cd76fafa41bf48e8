"""The settings of read replicas and of a transaction-mode pooler, read at start-up."""

import json

import pytest

from learningplatform.replicas import lsn_number, statement_verb
from tests.helpers import PRODUCTION, manage, python

SHOW = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "databases": {alias: {"host": db["HOST"], "port": db["PORT"], "name": db["NAME"],
                          "engine": db["ENGINE"], "options": db.get("OPTIONS", {}),
                          "test": db.get("TEST", {}),
                          "cursors_off": db["DISABLE_SERVER_SIDE_CURSORS"]}
                  for alias, db in settings.DATABASES.items()},
    "routers": settings.DATABASE_ROUTERS,
    "middleware": settings.MIDDLEWARE,
    "max_lag": settings.REPLICA_MAX_LAG_MS,
}))
"""


def shown(tmp_path, **env: str) -> dict:
    result = python("-c", SHOW, tmp_path=tmp_path, **PRODUCTION | env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_replica_by_default_every_statement_on_the_primary(tmp_path):
    settings = shown(tmp_path)
    assert list(settings["databases"]) == ["default"]
    assert settings["routers"] == []
    assert "learningplatform.replicas.ReplicaMiddleware" not in settings["middleware"]


def test_each_replica_url_is_a_database_configured_as_the_primary(tmp_path):
    urls = "postgres://ro:pw@replica-a:5433/learningplatform, postgres://ro:pw@replica-b/lp"
    settings = shown(tmp_path, DATABASE_REPLICA_URLS=urls, REPLICA_MAX_LAG_MS="250")
    databases = settings["databases"]
    assert list(databases) == ["default", "replica1", "replica2"]
    assert (databases["replica1"]["host"], databases["replica1"]["port"]) == ("replica-a", 5433)
    assert (databases["replica2"]["host"], databases["replica2"]["name"]) == ("replica-b", "lp")
    for alias in ("replica1", "replica2"):
        replica, primary = databases[alias], databases["default"]
        assert replica["engine"] == primary["engine"] == "learningplatform.db.postgresql"
        assert replica["options"] == primary["options"] | {"connect_timeout": 2}
        assert replica["test"]["MIRROR"] == "default"  # tests read the primary's test database
    assert settings["routers"] == ["learningplatform.replicas.ReplicaRouter"]
    middleware = settings["middleware"]
    sessions = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert middleware[sessions + 1] == "learningplatform.replicas.ReplicaMiddleware"
    assert settings["max_lag"] == 250


@pytest.mark.parametrize(
    "entry",
    [
        "postgres//replica/lp",  # no scheme separator
        "http://replica/lp",  # not PostgreSQL
        "mysql://replica/lp",
        "postgres://replica:99999/lp",  # no such port
        "postgres://replica:port/lp",
        "postgres://replica/",  # no database
        "postgres:///lp",  # no host
        "replica.internal",
    ],
)
def test_a_malformed_replica_url_stops_start_up_with_one_line_naming_the_variable(tmp_path, entry):
    urls = f"postgres://ro:pw@fine/lp,{entry}"
    result = manage("check", tmp_path=tmp_path, **PRODUCTION, DATABASE_REPLICA_URLS=urls)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"Configuration error: DATABASE_REPLICA_URLS entry 2 ({entry!r}) is not a PostgreSQL "
        "URL: use postgres://user:password@host:5432/name, comma-separated."
    ]


def test_the_error_never_shows_a_replica_password(tmp_path):
    urls = "postgres://ro:s3cret-pass@db.internal:notaport/lp"  # (the tests' placeholder host)
    result = manage("check", tmp_path=tmp_path, **PRODUCTION, DATABASE_REPLICA_URLS=urls)
    assert result.returncode != 0 and "DATABASE_REPLICA_URLS entry 1" in result.stderr
    assert "s3cret-pass" not in result.stderr and "***" in result.stderr


def test_replicas_need_a_postgresql_primary(tmp_path):
    result = manage(
        "check", tmp_path=tmp_path, DEBUG="1", DATABASE_REPLICA_URLS="postgres://replica/lp"
    )
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert line.startswith("Configuration error: DATABASE_REPLICA_URLS is set but DATABASE_URL")


def test_a_pooler_in_transaction_mode_keeps_nothing_in_a_session(tmp_path):
    settings = shown(
        tmp_path, DB_TRANSACTION_POOLING="1", DB_STATEMENT_TIMEOUT_MS="5000",
        DATABASE_REPLICA_URLS="postgres://replica/lp",
    )  # fmt: skip
    for database in settings["databases"].values():
        assert database["cursors_off"]  # a server-side cursor outside a transaction is a session's
        # No prepared statement, no startup option (PgBouncer 1.18 refuses `options`).
        assert not {"options", "prepare_threshold", "server_side_binding"} & set(
            database["options"]
        )


@pytest.mark.parametrize("threshold", ["1", "5"])
def test_a_pooler_in_transaction_mode_refuses_prepared_statements(tmp_path, threshold):
    result = manage(
        "check", tmp_path=tmp_path, **PRODUCTION, DB_TRANSACTION_POOLING="1",
        DB_PREPARE_THRESHOLD=threshold,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "Configuration error: DB_TRANSACTION_POOLING=1 needs DB_PREPARE_THRESHOLD=0: a pooler in "
        "transaction mode cannot keep a connection's prepared statements."
    ]


@pytest.mark.parametrize(
    ("position", "number"),
    [("0/0", 0), ("0/1", 1), ("1/0", 1 << 32), ("16/B374D848", (0x16 << 32) + 0xB374D848)],
)
def test_wal_positions_order_as_numbers(position, number):
    assert lsn_number(position) == number
    assert lsn_number(None) == 0


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("SELECT 1", "SELECT"),
        ("  insert into t values (1)", "INSERT"),
        ("SET LOCAL statement_timeout = 300; UPDATE t SET a = 1", "UPDATE"),
        ("SET LOCAL statement_timeout = 300; SELECT 1", "SELECT"),
        ("SET statement_timeout = 300", "SET"),
        ("DELETE FROM t", "DELETE"),
    ],
)
def test_a_statement_behind_the_deadlines_timeout_is_known_by_its_own_verb(sql, verb):
    assert statement_verb(sql) == verb
