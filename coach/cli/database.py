"""``mie-coach db``: back up and restore the database, and apply the retention setting."""

from __future__ import annotations

from pathlib import Path

import typer

from coach.cli.common import fail, load_settings

db = typer.Typer(help="Back up, restore and prune the database.", no_args_is_help=True)


@db.command()
def backup(path: Path = typer.Argument(..., help="The backup file to write.")) -> None:
    """Copy the database to PATH while the app keeps running (SQLite's online backup;
    pg_dump's custom format for PostgreSQL)."""
    from coach.storage.backup import backup as write_backup

    typer.echo(write_backup(load_settings(), path) + ".")


@db.command()
def restore(
    path: Path = typer.Argument(..., help="A file written by `mie-coach db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Replace the database with a backup. The current database is copied aside first; stop
    the web app while restoring."""
    from coach.storage.backup import restore as read_backup

    settings = load_settings()
    if not yes and not typer.confirm(f"Replace the database with {path}?", default=False):
        fail("Restore cancelled; nothing was changed.")
    typer.echo(read_backup(settings, path) + ".")


@db.command()
def prune(
    days: int = typer.Option(
        None, "--days", min=1, help="Idle days to keep; default: MIE_RETENTION_DAYS."
    ),
) -> None:
    """Delete sessions idle for more than the retention period (recorded in the audit log)."""
    from coach.storage.db import open_database
    from coach.storage.store import Store

    settings = load_settings()
    days = days or settings.retention_days
    if not days:
        fail("No retention period: set MIE_RETENTION_DAYS or pass --days.")
    deleted = Store(open_database(settings)).apply_retention(days)
    typer.echo(f"Deleted {deleted} session(s) idle for more than {days} days.")
