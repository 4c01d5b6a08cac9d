"""`mie-coach users` as an admin runs it, against a real SQLite database."""

from __future__ import annotations

import re

from coach.settings import Settings
from coach.storage.accounts import Accounts
from coach.storage.db import open_database


def accounts() -> Accounts:
    return Accounts(open_database(Settings()))


def test_add_prints_a_generated_password_once_and_stores_only_a_hash(cli):
    result = cli("users", "add", "alice", "--role", "trainee")
    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown once\): (\S+)", result.output).group(1)
    assert accounts().authenticate("alice", password).role == "trainee"
    assert accounts().authenticate("alice", password + "x") is None
    from sqlalchemy import text

    with open_database(Settings())() as db:
        stored = db.execute(text("select password_hash from users")).scalar_one()
    assert stored.startswith("$argon2id$") and password not in stored


def test_assign_list_passwd_and_disable(cli):
    cli("users", "add", "sue", "--role", "supervisor")
    cli("users", "add", "bob")
    assert cli("users", "assign", "sue", "bob").exit_code == 0
    listing = cli("users", "list").output
    assert re.search(r"sue\s+supervisor\s+active\s+trainees: bob", listing)
    changed = cli("users", "passwd", "bob")
    new = re.search(r"Password \(shown once\): (\S+)", changed.output).group(1)
    assert accounts().authenticate("bob", new)
    assert cli("users", "disable", "bob").exit_code == 0
    assert accounts().authenticate("bob", new) is None  # disabled accounts cannot log in
    assert "disabled" in cli("users", "list").output
    assert cli("users", "disable", "bob", "--enable").exit_code == 0
    assert accounts().authenticate("bob", new)


def test_repeated_wrong_passwords_lock_the_account_for_a_while(cli):
    from datetime import UTC, datetime

    from coach.storage.accounts import LOCKOUT, MAX_FAILED_LOGINS

    added = cli("users", "add", "dana")
    password = re.search(r"Password \(shown once\): (\S+)", added.output).group(1)
    start = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert accounts().authenticate("dana", "wrong-password", now=start) is None
    assert accounts().authenticate("dana", password, now=start)  # success resets the count
    for _ in range(MAX_FAILED_LOGINS):
        assert accounts().authenticate("Dana", "wrong-password", now=start) is None
    assert accounts().authenticate("dana", password, now=start) is None  # locked
    assert re.search(
        r"dana\s+trainee\s+active, locked until \d{4}-\d\d-\d\d \d\d:\d\d UTC",
        cli("users", "list").output,
    )
    assert accounts().authenticate("dana", password, now=start + LOCKOUT / 2) is None
    assert accounts().authenticate("dana", password, now=start + LOCKOUT)  # lockout over

    for _ in range(MAX_FAILED_LOGINS):
        accounts().authenticate("dana", "wrong-password")
    assert accounts().authenticate("dana", password) is None
    assert cli("users", "unlock", "dana").output == "'dana' can log in again.\n"
    assert accounts().authenticate("dana", password)
    assert "locked" not in cli("users", "list").output


def test_bad_input_is_one_sentence_with_exit_2(cli):
    cli("users", "add", "bob")
    cases = [
        (("users", "add", "Bad Name!"), "is not a valid username"),
        (("users", "add", "carol", "--role", "boss"), "Unknown role 'boss'"),
        (("users", "add", "bob"), "The user 'bob' already exists."),
        (("users", "assign", "bob", "bob"), "'bob' is a trainee, not a supervisor."),
        (("users", "passwd", "nobody"), "There is no user 'nobody'."),
        (("users", "unlock", "nobody"), "There is no user 'nobody'."),
    ]
    for args, expected in cases:
        result = cli(*args)
        assert result.exit_code == 2, args
        assert expected in result.output and "Traceback" not in result.output


def test_a_short_password_from_stdin_is_refused(tmp_path):
    from typer.testing import CliRunner

    from coach.cli import app

    result = CliRunner().invoke(app, ["users", "add", "dan", "--password-stdin"], input="short\n")
    assert result.exit_code == 2 and "too short" in result.output
    assert [u.username for u in accounts().list()] == []


def test_demo_accounts_are_created_once():
    created = accounts().ensure_demo_accounts()
    assert [(u, r) for u, r, _ in created] == [
        ("demo-trainee", "trainee"),
        ("demo-supervisor", "supervisor"),
        ("demo-admin", "admin"),
    ]
    assert accounts().authenticate("demo-admin", created[2][2]).role == "admin"
    assert accounts().assignments() == [("demo-supervisor", "demo-trainee")]
    assert accounts().ensure_demo_accounts() == []
