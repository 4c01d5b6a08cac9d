"""Records over time, driven through the CLI as an admin would: backups restored and compared
table by table (SQLite and a real PostgreSQL), retention, and deleting a trainee, each in the
audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text, update

from coach.settings import Settings
from coach.storage.accounts import Accounts
from coach.storage.db import database_url, make_engine, open_database
from coach.storage.store import Store
from coach.storage.tables import MessageRow, SessionRow

PASSWORD = "correct-horse-battery"


def _fill(settings: Settings) -> dict[str, str]:
    """Two trainees with sessions, a comment and a rating; returns their session ids."""
    factory = open_database(settings)
    accounts, store = Accounts(factory), Store(factory)
    alice = accounts.add("alice", "trainee", PASSWORD)
    bob = accounts.add("bob", "trainee", PASSWORD)
    sue = accounts.add("sue", "supervisor", PASSWORD)
    accounts.assign("sue", "alice")
    accounts.assign("sue", "bob")
    ids = {}
    for user in (alice, bob):
        session = store.create_session(focus="client", channel="web", user_id=user.id)
        store.add_message(session, "trainee", f"{user.username}: my client went quiet.")
        reply = store.add_message(session, "supervisor", "You noticed the quiet. What did it mean?")
        store.add_comment(session, sue.id, "Good reflection.", message_id=reply)
        store.rate(session, reply, sue.id, "helpful")
        store.audit(sue.id, "view", session)
        ids[user.username] = session
    return ids


def _tables(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, as plain tuples."""
    engine = make_engine(database_url(settings))
    with engine.connect() as db:
        names = sorted(inspect(db).get_table_names())
        out = {
            n: sorted(map(tuple, db.execute(text(f"select * from {n}"))), key=repr) for n in names
        }
    engine.dispose()
    return out


def _round_trip(cli, settings: Settings, backup: Path, env: dict[str, str]) -> None:
    ids = _fill(settings)
    before = _tables(settings)
    assert {"users", "sessions", "messages", "comments", "ratings", "audit_log"} <= set(before)
    result = cli("db", "backup", str(backup), **env)
    assert result.exit_code == 0, result.output
    assert "backed up to" in result.output

    # Changes after the backup: a new message, a deleted trainee. The restore undoes both.
    Store(open_database(settings)).add_message(ids["alice"], "trainee", "After the backup.")
    assert cli("users", "delete", "bob", "--yes", **env).exit_code == 0
    assert _tables(settings) != before

    result = cli("db", "restore", str(backup), "--yes", **env)
    assert result.exit_code == 0, result.output
    assert _tables(settings) == before


def test_sqlite_backup_and_restore_bring_back_every_table(cli, tmp_path):
    settings = Settings()
    _round_trip(cli, settings, tmp_path / "coach-backup.db", {})
    kept = list((settings.data_dir).glob("coach.db.before-restore-*"))
    assert len(kept) == 1  # the database the restore replaced is kept aside
    # Restoring onto a machine with no database yet keeps nothing aside, and says so.
    fresh = tmp_path / "fresh"
    result = cli(
        "db", "restore", str(tmp_path / "coach-backup.db"), "--yes", MIE_DATA_DIR=str(fresh)
    )
    assert result.exit_code == 0 and "kept" not in result.output
    assert _tables(Settings(data_dir=fresh)) == _tables(settings)


def test_postgres_backup_and_restore_bring_back_every_table(cli, tmp_path, postgres_server):
    url = postgres_server()
    settings = Settings(database_url=url)
    _round_trip(cli, settings, tmp_path / "coach.dump", {"MIE_DATABASE_URL": url})


def test_backup_and_restore_refuse_bad_paths_in_one_sentence(cli, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    cases = [
        (("db", "backup", str(tmp_path / "missing" / "x.db")), "does not exist"),
        (("db", "backup", str(tmp_path)), "is a folder"),
        (("db", "restore", str(tmp_path / "nope.db"), "--yes"), "There is no backup file"),
        (("db", "restore", str(not_a_backup), "--yes"), "is not a MIE-IS Coach SQLite backup"),
    ]
    _fill(Settings())
    before = _tables(Settings())
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
    assert _tables(Settings()) == before  # nothing saved is lost


def test_retention_deletes_only_idle_sessions_and_records_it(cli):
    settings = Settings()
    ids = _fill(settings)
    factory = open_database(settings)
    old = datetime.now(UTC) - timedelta(days=40)
    with factory.begin() as db:  # bob's session went idle 40 days ago
        db.execute(update(SessionRow).where(SessionRow.id == ids["bob"]).values(created_at=old))
        db.execute(
            update(MessageRow).where(MessageRow.session_id == ids["bob"]).values(created_at=old)
        )
    result = cli("db", "prune", "--days", "30")
    assert result.exit_code == 0, result.output
    assert "Deleted 1 session(s) idle for more than 30 days." in result.output
    store = Store(factory)
    assert store.session_ids() == [ids["alice"]]
    assert store.messages(ids["bob"]) == [] and store.comments(ids["bob"]) == []
    assert store.ratings(session_id=ids["bob"]) == []
    _, who, action, _ = store.audit_log()[0]
    assert (who, action) == ("retention", "retention")
    # The retention setting is read when --days is not given; nothing more is idle.
    assert "Deleted 0 session(s)" in cli("db", "prune", MIE_RETENTION_DAYS="30").output
    result = cli("db", "prune")
    assert result.exit_code == 2 and "No retention period" in result.output


def test_deleting_a_trainee_removes_their_sessions_and_keeps_the_audit_trail(cli):
    settings = Settings()
    ids = _fill(settings)
    result = cli("users", "delete", "bob", "--yes")
    assert result.exit_code == 0, result.output
    assert "Deleted 'bob' and 1 session(s)." in result.output
    factory = open_database(settings)
    store, accounts = Store(factory), Accounts(factory)
    assert store.session_ids() == [ids["alice"]]
    assert [u.username for u in accounts.list()] == ["alice", "sue"]
    assert accounts.assignments() == [("sue", "alice")]
    log = store.audit_log()
    assert log[0][1:3] == ("cli", "delete-user")
    assert (log[1][1], log[1][2], log[1][3]) == ("sue", "view", ids["bob"])  # still on record
    with factory() as db:
        detail = db.execute(text("select detail from audit_log order by id desc")).first()[0]
    assert "trainee 'bob'" in detail and ids["bob"] in detail

    # A reviewer whose comments sit in a trainee's record is not deleted.
    result = cli("users", "delete", "sue", "--yes")
    assert result.exit_code == 2 and "disable the account instead" in result.output
    result = cli("users", "delete", "nobody", "--yes")
    assert result.exit_code == 2 and "There is no user 'nobody'." in result.output
    result = cli("users", "delete", "alice", input="n\n")
    assert result.exit_code == 2 and "Nothing was deleted." in result.output


@pytest.fixture
def cli():
    """Like conftest's, with stdin for the confirmation prompt."""
    from typer.testing import CliRunner

    from coach.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, **env: str):
        return runner.invoke(app, list(args), env=env or None, input=input, catch_exceptions=False)

    return run
