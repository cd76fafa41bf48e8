"""A copy of the whole database before the consolidation changes anything.

SQLite: the sqlite3 backup API writes a consistent copy of the file. PostgreSQL: `pg_dump`
in its custom format. docs/operations.md, "Going back", says how to restore each. A backup holds
password hashes and session keys: the folder and the files are readable by their owner only.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def default_backup_dir() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def backup_database(connection, directory: Path | None = None) -> Path:
    """Write a backup of the connection's database into `directory`; return its path."""
    directory = Path(directory or default_backup_dir())
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = Path(str(connection.settings_dict["NAME"])).name
    if connection.vendor == "sqlite":
        target = _private_file(directory / f"{name}-{stamp}.sqlite3")
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        return target
    if connection.vendor == "postgresql":
        return _pg_dump(connection.settings_dict, _private_file(directory / f"{name}-{stamp}.dump"))
    raise CommandError(f"No backup method for {connection.vendor}.")


def _private_file(path: Path) -> Path:
    """Create `path` empty and owner-only, so the backup written into it never is readable."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return path


def _pg_dump(db: dict, target: Path) -> Path:
    if shutil.which("pg_dump") is None:
        raise CommandError("pg_dump is not installed; install postgresql-client and run again.")
    env = os.environ | ({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", db["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command.append(f"{option}={db[key]}")
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(f"pg_dump failed, nothing was changed: {result.stderr.strip()}")
    return target
