"""A PostgreSQL cluster of one's own, to restart: the benchmarks' and the tests' fault.

    with Cluster() as cluster:          # initdb in a temporary folder, started on a free port
        url = cluster.create_database("lp")
        ...
        cluster.restart()               # pg_ctl restart -m fast: what an operator's restart does

Nothing else runs on it, so restarting it disturbs no other test or engineer. The binaries are
PostgreSQL's own (PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else the PATH); as root
they run as the `postgres` user (`runuser`), since PostgreSQL refuses to run as root. The cluster
listens on 127.0.0.1 and a socket in its own folder, trusts local connections, and is stopped
(immediate) and deleted when the block ends.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from bench.common import free_port


def bindir() -> Path:
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


class Cluster:
    def __init__(self) -> None:
        self.bin = bindir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="lp-cluster-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # PostgreSQL will not run as root: the folder is postgres's
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Output to a file, not a pipe: the server pg_ctl starts would hold a pipe open.
        with open(self.folder / "commands.log", "ab") as output:
            done = subprocess.run(command, stdout=output, stderr=output, timeout=120)  # noqa: S603
        if done.returncode:
            tail = (self.folder / "commands.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{program} failed ({done.returncode}): {tail}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def restart(self) -> None:
        """Stop (fast: sessions are ended, as in a routine restart) and start again; returns once
        the cluster accepts connections."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> "Cluster":
        try:
            self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--no-sync")  # fmt: skip
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_until_accepting(url: str, seconds: float = 30) -> None:
    """Return once the server at `url` answers a connection."""
    until = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > until:
                raise
            time.sleep(0.05)
