"""Throwaway PostgreSQL topologies on loopback: a primary, its streaming replica, PgBouncer.

The tests of read replicas and of the pooler (tests/learningplatform/test_replicas.py) and CI's
run of the whole suite through PgBouncer start them here, each in a temporary folder on free
ports, and stop them when done; nothing touches the server on 5432 except PgBouncer's
connections to it when asked to pool it. As root, every server runs as the `postgres` user
(PostgreSQL and PgBouncer refuse to run as root).

    python bench/clusters.py pgbouncer --upstream-port 5432 -- COMMAND...

runs COMMAND with POOLER_PORT set to a PgBouncer in transaction mode in front of the server on
127.0.0.1:<upstream-port>, and stops it after.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from bench.common import free_port, wait_for_port
except ImportError:  # run as a script: bench/ is the script's own folder
    from common import free_port, wait_for_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
AS_ROOT = os.geteuid() == 0


def run_as_server(args: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a server program as `postgres` when we are root, as ourselves otherwise."""
    command = (
        ["runuser", "-u", "postgres", "--", *map(str, args)] if AS_ROOT else list(map(str, args))
    )
    return subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=120, **kwargs
    )


def server_folder(prefix: str) -> Path:
    """A private temporary folder the server's user owns."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if AS_ROOT:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)
    return folder


class Cluster:
    """One PostgreSQL server in its own folder, on its own port."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        run_as_server([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.data / "server.log",
                       "-w", "-t", "60", "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            run_as_server([PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def configure(self, **settings: str | int) -> None:
        lines = [f"{name} = '{value}'" for name, value in settings.items()]
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.write("\n".join(lines) + "\n")

    def sql(self, statement: str, database: str = "postgres") -> str:
        """One statement through psql; its rows, tab-separated."""
        result = run_as_server([PG_BIN / "psql", "-X", "-q", "-A", "-t", "-F", "\t",
                                "-h", "127.0.0.1", "-p", self.port, "-U", "postgres",
                                "-d", database, "-c", statement])  # fmt: skip
        return result.stdout.strip()


SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "wal_level": "replica",
    "max_wal_senders": 4,
    "hot_standby": "on",
    "hot_standby_feedback": "on",  # no query on the replica cancelled by the primary's vacuum
    "shared_preload_libraries": "pg_stat_statements",  # statements counted per database
    "fsync": "off",  # a throwaway server: speed over durability
    "max_connections": 200,
}


def start_primary(root: Path) -> Cluster:
    cluster = Cluster(root / "primary", free_port())
    run_as_server([PG_BIN / "initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust",
                   "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip
    cluster.configure(**SERVER_SETTINGS, port=cluster.port, unix_socket_directories=root)
    cluster.start()
    cluster.sql("CREATE EXTENSION pg_stat_statements")
    return cluster


def start_replica(primary: Cluster, root: Path, *, apply_delay_ms: int) -> Cluster:
    """A streaming replica of `primary` (pg_basebackup -R), `apply_delay_ms` behind it."""
    cluster = Cluster(root / "replica", free_port())
    run_as_server([PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port,
                   "-U", "postgres", "-D", cluster.data, "-R", "-X", "stream",
                   "--checkpoint=fast"])  # fmt: skip
    cluster.configure(port=cluster.port, recovery_min_apply_delay=f"{apply_delay_ms}ms")
    cluster.start()
    return cluster


class PgBouncer:
    """PgBouncer in transaction mode, in front of 127.0.0.1:<upstream_port>."""

    def __init__(self, root: Path, upstream_port: int, *, reset_always: bool = False) -> None:
        self.root, self.port = root, free_port()
        # The suite's own commands run pg_dump and pg_restore through it, which set session
        # state (search_path) as on a connection of their own; an operator runs them against
        # the server itself (docs/operations.md). The app's tests keep this off: no reset
        # hides a setting the app would leave behind.
        reset = "server_reset_query_always = 1" if reset_always else ""
        (root / "users.txt").write_text('"postgres" ""\n')
        (root / "pgbouncer.ini").write_text(
            f"""[databases]
* = host=127.0.0.1 port={upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {root}/users.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
; test databases are dropped at the end of a run: keep no idle connection to them for long
server_idle_timeout = 1
{reset}
logfile = {root}/pgbouncer.log
pidfile = {root}/pgbouncer.pid
"""
        )
        if AS_ROOT:
            user = pwd.getpwnam("postgres")
            for name in ("users.txt", "pgbouncer.ini"):
                os.chown(root / name, user.pw_uid, user.pw_gid)
        run_as_server(["pgbouncer", "-d", root / "pgbouncer.ini"])
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def stop(self) -> None:
        pid_file = self.root / "pgbouncer.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        os.kill(pid, 15)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    pooler = sub.add_parser("pgbouncer", help="run a command with PgBouncer in front of a server")
    pooler.add_argument("--upstream-port", type=int, default=5432)
    pooler.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"]
    root = server_folder("lp-pgbouncer-")
    bouncer = PgBouncer(root, args.upstream_port, reset_always=True)
    try:
        print(f"PgBouncer (transaction mode) on 127.0.0.1:{bouncer.port}", flush=True)
        env = os.environ | {"POOLER_PORT": str(bouncer.port)}
        return subprocess.run(command, env=env).returncode  # noqa: S603 - the caller's command
    finally:
        bouncer.stop()
        remove(root)


if __name__ == "__main__":
    sys.exit(main())
