"""Backups of the database while the app runs: SQLite's online backup API, or pg_dump and
pg_restore (custom format) for PostgreSQL. A restore first copies the current database aside,
so restoring the wrong file loses nothing."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from coach.errors import ConfigError, InputError
from coach.settings import Settings
from coach.storage.db import database_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


def backup(settings: Settings, path: Path) -> str:
    """Write a consistent copy of the database to ``path``; returns what was written."""
    url = make_url(database_url(settings))
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name for the backup.")
    if not path.parent.is_dir():
        raise InputError(f"The folder {path.parent} does not exist.")
    if url.get_backend_name() == "sqlite":
        source = _sqlite_file(url.database)
        with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        return f"SQLite database {source} backed up to {path}"
    _pg("pg_dump", url, ["--format=custom", "--no-owner", f"--file={path}"])
    return f"PostgreSQL database {url.database} backed up to {path}"


def restore(settings: Settings, path: Path) -> str:
    """Replace the database with the backup at ``path``, after copying the current one aside."""
    url = make_url(database_url(settings))
    if not path.is_file():
        raise InputError(f"There is no backup file at {path}.")
    head = path.read_bytes()[:16]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if url.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC or not _has_schema(path):
            raise InputError(f"{path} is not a MIE-IS Coach SQLite backup.")
        target = Path(url.database or "")
        aside = target.with_name(f"{target.name}.before-restore-{stamp}")
        existed = target.exists()
        if existed:
            with sqlite3.connect(target) as src, sqlite3.connect(aside) as dst:
                src.backup(dst)
        with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        kept = f"; the previous database is kept at {aside}" if existed else ""
        return f"Restored {target} from {path}{kept}"
    if not head.startswith(PG_MAGIC):
        raise InputError(f"{path} is not a pg_dump custom-format backup.")
    aside = Path(settings.data_dir) / f"postgres-before-restore-{stamp}.dump"
    aside.parent.mkdir(parents=True, exist_ok=True)
    _pg("pg_dump", url, ["--format=custom", "--no-owner", f"--file={aside}"])
    _pg(
        "pg_restore",
        url,
        ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(path)],
        database_flag=True,
    )
    return (
        f"Restored PostgreSQL database {url.database} from {path}; the previous one is at {aside}"
    )


def _sqlite_file(database: str | None) -> Path:
    source = Path(database or "")
    if not source.is_file():
        raise InputError(f"There is no database at {source} yet; nothing to back up.")
    return source


def _has_schema(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            names = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
    except sqlite3.DatabaseError:
        return False
    return {"alembic_version", "sessions", "messages"} <= names


def _pg(tool: str, url, args: list[str], database_flag: bool = False) -> None:
    """Run pg_dump or pg_restore against ``url``; the password travels in PGPASSWORD, never
    on the command line."""
    binary = shutil.which(tool)
    if binary is None:
        raise ConfigError(f"{tool} is not installed; install PostgreSQL's client tools.")
    env = os.environ | {"PGPASSWORD": url.password or ""}
    target = [
        f"--host={url.host or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={url.username or ''}",
        f"--dbname={url.database}" if database_flag else str(url.database),
    ]
    if url.username is None:
        target.pop(2)
    done = subprocess.run([binary, *target, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"{tool} failed: {reason}")
