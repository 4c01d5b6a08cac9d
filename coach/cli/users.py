"""``mie-coach users``: accounts for the web app (trainees, supervisors, admins)."""

from __future__ import annotations

import sys

import typer

from coach.cli.common import fail, load_settings

users = typer.Typer(
    help="Manage web accounts: add, list, assign, passwd, disable, unlock, delete.",
    no_args_is_help=True,
)


def _accounts():
    from coach.storage.accounts import Accounts
    from coach.storage.db import open_database

    return Accounts(open_database(load_settings()))


def _password(given_on_stdin: bool) -> tuple[str, bool]:
    """A password from stdin (one line), or a generated one; True when generated."""
    from coach.storage.accounts import new_password

    if given_on_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return new_password(), True


@users.command()
def add(
    username: str = typer.Argument(..., help="Lower-case letters, digits, . _ -"),
    role: str = typer.Option("trainee", "--role", help="trainee, supervisor or admin."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin instead of generating one."
    ),
) -> None:
    """Create an account. A generated password is printed once; it is stored only as an
    argon2id hash."""
    password, generated = _password(password_stdin)
    user = _accounts().add(username, role, password)
    typer.echo(f"Added {user.role} '{user.username}'.")
    if generated:
        typer.echo(f"Password (shown once): {password}")


@users.command("list")
def list_users() -> None:
    """Every account with its role, status and assigned trainees."""
    accounts = _accounts()
    pairs = accounts.assignments()
    for user in accounts.list():
        trainees = [t for s, t in pairs if s == user.username]
        extra = f"  trainees: {', '.join(trainees)}" if trainees else ""
        typer.echo(f"{user.username:24} {user.role:11} {user.status()}{extra}")


@users.command()
def assign(
    supervisor: str = typer.Argument(..., help="The supervisor's username."),
    trainee: str = typer.Argument(..., help="The trainee's username."),
    remove: bool = typer.Option(False, "--remove", help="End the assignment instead."),
) -> None:
    """Let a supervisor review a trainee's sessions (or stop it with --remove)."""
    accounts = _accounts()
    if remove:
        accounts.unassign(supervisor, trainee)
        typer.echo(f"'{trainee}' is no longer assigned to '{supervisor}'.")
    else:
        accounts.assign(supervisor, trainee)
        typer.echo(f"'{trainee}' is assigned to '{supervisor}'.")


@users.command()
def passwd(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from stdin."
    ),
) -> None:
    """Set a new password (generated and printed once unless --password-stdin)."""
    password, generated = _password(password_stdin)
    _accounts().set_password(username, password)
    typer.echo(f"Password changed for '{username}'.")
    if generated:
        typer.echo(f"Password (shown once): {password}")


@users.command()
def disable(
    username: str = typer.Argument(...),
    enable: bool = typer.Option(False, "--enable", help="Re-enable the account instead."),
) -> None:
    """Stop an account from logging in (its sessions are kept)."""
    _accounts().set_disabled(username, not enable)
    typer.echo(f"'{username}' is {'enabled' if enable else 'disabled'}.")


@users.command()
def unlock(username: str = typer.Argument(...)) -> None:
    """End a lockout after repeated wrong passwords (a new password also ends it)."""
    _accounts().unlock(username)
    typer.echo(f"'{username}' can log in again.")


@users.command()
def delete(
    username: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete an account with all its sessions (recorded in the audit log). Cannot be undone
    except from a backup (mie-coach db backup)."""
    accounts = _accounts()
    user = accounts.get(username)
    if not yes and not typer.confirm(
        f"Delete the {user.role} '{user.username}' and all their sessions?", default=False
    ):
        fail("Nothing was deleted.")
    sessions = accounts.delete(user.username)
    typer.echo(f"Deleted '{user.username}' and {sessions} session(s).")
