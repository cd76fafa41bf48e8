"""Throwaway PostgreSQL servers on loopback: a cluster of one's own, a primary and its streaming
replica, PgBouncer in front of a server.

    with throwaway_cluster() as cluster:   # initdb in a temporary folder, started on a free port
        url = cluster.create_database("lp")
        ...
        cluster.restart()                  # pg_ctl restart -m fast: what an operator's restart does

The fault tests and benchmarks restart such a cluster (tests/helpers.py, bench/load.py,
bench/stale_statements.py); the replica and pooler tests (tests/learningplatform/test_replicas.py)
build a primary, a replica (`start_primary`, `start_replica`) and `PgBouncer`; CI's run of the
whole suite through PgBouncer starts one from the command line:

    python bench/clusters.py pgbouncer --upstream-port 5432 -- COMMAND...

runs COMMAND with POOLER_PORT set to a PgBouncer in transaction mode in front of the server on
127.0.0.1:<upstream-port>, and stops it after.

Each lives in a temporary folder on free ports and is stopped when done; nothing touches the
server on 5432 except PgBouncer's connections to it when asked to pool it. The binaries are
PostgreSQL's own (PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else the PATH); as root,
every server runs as the `postgres` user (`runuser`), since PostgreSQL and PgBouncer refuse to
run as root.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    from bench.common import free_port, wait_for_port
except ImportError:  # run as a script: bench/ is the script's own folder
    from common import free_port, wait_for_port

AS_ROOT = os.geteuid() == 0


def bindir() -> Path:
    """The folder of PostgreSQL's programs."""
    if configured := os.environ.get("PG_BINDIR"):
        return Path(configured)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path is None:
        raise RuntimeError("no PostgreSQL binaries: install postgresql, or set PG_BINDIR")
    return Path(on_path).parent


def run_as_server(args: list, *, log: Path | None = None) -> str:
    """Run a server program as `postgres` when we are root, as ourselves otherwise; its output.

    With `log`, the output is appended to that file instead of read: a server that the program
    starts (pg_ctl start and restart) inherits it, and would hold a pipe open."""
    program = list(map(str, args))
    command = ["runuser", "-u", "postgres", "--", *program] if AS_ROOT else program
    if log is None:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)  # noqa: S603
        output = done.stdout + done.stderr
    else:
        with open(log, "ab") as output_file:
            done = subprocess.run(command, stdout=output_file, stderr=output_file, timeout=120)  # noqa: S603
        output = log.read_text(errors="replace")
    if done.returncode:
        raise RuntimeError(f"{Path(program[0]).name} failed ({done.returncode}): {output[-2000:]}")
    return done.stdout if log is None else ""


def server_folder(prefix: str) -> Path:
    """A private temporary folder the server's user owns."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if AS_ROOT:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)
    return folder


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


class Cluster:
    """One PostgreSQL server in its own folder, on its own port."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port, self.bin = data, port, bindir()
        self.commands_log = data.parent / f"{data.name}-commands.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        run_as_server([self.bin / "pg_ctl", "-D", self.data, *args], log=self.commands_log)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.data / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop (fast: sessions are ended, as in a routine restart) and start again; returns once
        the cluster accepts connections."""
        self.pg_ctl("-l", str(self.data / "server.log"), "-m", "fast", "-w", "-t", "60", "restart")

    def configure(self, **settings: str | int) -> None:
        lines = [f"{name} = '{value}'" for name, value in settings.items()]
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.write("\n".join(lines) + "\n")

    def sql(self, statement: str, database: str = "postgres") -> str:
        """One statement through psql; its rows, tab-separated."""
        return run_as_server([self.bin / "psql", "-X", "-q", "-A", "-t", "-F", "\t",
                              "-h", "127.0.0.1", "-p", self.port, "-U", "postgres",
                              "-d", database, "-c", statement]).strip()  # fmt: skip

    def create_database(self, name: str) -> str:
        """A new database on this server; its URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def new_cluster(root: Path, name: str, **settings: str | int) -> Cluster:
    """initdb in `root`/`name`, configured to listen on 127.0.0.1 and a free port; not started."""
    cluster = Cluster(root / name, free_port())
    run_as_server([cluster.bin / "initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust",
                   "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
                  log=cluster.commands_log)  # fmt: skip
    cluster.configure(
        listen_addresses="127.0.0.1", port=cluster.port, unix_socket_directories=root,
        fsync="off",  # a throwaway server: speed over durability
        **settings,
    )  # fmt: skip
    return cluster


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster of the caller's own, stopped (immediate) and deleted when the block ends."""
    root = server_folder("lp-cluster-")
    cluster = None
    try:
        cluster = new_cluster(root, "data", synchronous_commit="off", full_page_writes="off")
        cluster.start()
        yield cluster
    finally:
        if cluster is not None:
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                cluster.stop("immediate")
        remove(root)


REPLICATION_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": 4,
    "hot_standby": "on",
    "hot_standby_feedback": "on",  # no query on the replica cancelled by the primary's vacuum
    "shared_preload_libraries": "pg_stat_statements",  # statements counted per database
    "max_connections": 200,
}


def start_primary(root: Path) -> Cluster:
    """A started primary in `root`/primary, ready for streaming replicas, counting statements."""
    cluster = new_cluster(root, "primary", **REPLICATION_SETTINGS)
    cluster.start()
    cluster.sql("CREATE EXTENSION pg_stat_statements")
    return cluster


def start_replica(primary: Cluster, root: Path, *, apply_delay_ms: int) -> Cluster:
    """A streaming replica of `primary` (pg_basebackup -R), `apply_delay_ms` behind it."""
    cluster = Cluster(root / "replica", free_port())
    run_as_server([cluster.bin / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port,
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
        run_as_server(["pgbouncer", "-d", root / "pgbouncer.ini"], log=root / "commands.log")
        wait_for_port(self.port)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

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


def main() -> int:
    parser = argparse.ArgumentParser(description="Run a command with a throwaway PgBouncer.")
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
