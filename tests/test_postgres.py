"""PostgreSQL instead of SQLite, selected by MIE_DATABASE_URL alone, against a real server
on loopback (the postgres_server fixture starts one per test run)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from coach.review.session import review_session
from coach.settings import Settings
from coach.storage.access import AccessDenied, readable_session, visible_trainees
from coach.storage.accounts import LOCKOUT, MAX_FAILED_LOGINS, Accounts
from coach.storage.db import open_database
from coach.storage.store import Store
from coach.storage.tables import Base


@pytest.fixture
def postgres_settings(postgres_server) -> Settings:
    return Settings(database_url=postgres_server())


def test_the_schema_migrates_to_the_latest_revision(postgres_settings):
    factory = open_database(postgres_settings)
    engine = factory.kw["bind"]
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    tables = set(inspect(engine).get_table_names())
    assert tables == {*Base.metadata.tables, "alembic_version"}  # every model table, no other
    columns = {c["name"] for c in inspect(engine).get_columns("users")}
    assert {"failed_logins", "locked_until"} <= columns
    assert {"kind", "persona"} <= {c["name"] for c in inspect(engine).get_columns("sessions")}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select version_num from alembic_version").scalar() == "0007"


def test_accounts_and_the_lockout_work_on_postgresql(postgres_settings):
    accounts = Accounts(open_database(postgres_settings))
    accounts.add("dana", "trainee", "a-long-password")
    start = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS):
        assert accounts.authenticate("dana", "wrong-password", now=start) is None
    assert accounts.authenticate("dana", "a-long-password", now=start) is None
    user = accounts.get("dana")
    assert user.locked(start) and user.locked_until.tzinfo is not None
    assert accounts.authenticate("dana", "a-long-password", now=start + LOCKOUT).role == "trainee"


def test_sessions_review_and_access_control_on_postgresql(postgres_settings):
    factory = open_database(postgres_settings)
    accounts, store = Accounts(factory), Store(factory)
    alice = accounts.add("alice", "trainee", "a-long-password")
    bob = accounts.add("bob", "trainee", "a-long-password")
    sue = accounts.add("sue", "supervisor", "a-long-password")
    accounts.assign("sue", "alice")

    session = store.create_session(focus="client", channel="web", user_id=alice.id)
    store.add_message(session, "trainee", "She stopped calling her sister after the retreat.")
    reply = store.add_message(
        session,
        "supervisor",
        "What do you make of that change?",
        sources=[{"id": "oars", "score": 0.5}],
        flags=["check"],
    )
    store.flag_session(session, "crisis (test)")
    store.add_comment(session, sue.id, "A good open question.", message_id=reply)
    store.create_session(user_id=bob.id)

    visible = [t.id for t in visible_trainees(accounts, sue)]
    assert [s.id for s in store.sessions(user_ids=visible)] == [session]
    assert readable_session(store, accounts, sue, session).id == session
    with pytest.raises(AccessDenied):
        readable_session(store, accounts, accounts.get("bob"), session)
    info = store.session(session)
    assert info.flagged and info.username == "alice" and info.messages == 2
    review = review_session(store, session)
    assert [m.role for m in review.messages] == ["trainee", "supervisor"]
    assert review.messages[1].sources == [{"id": "oars", "score": 0.5}]
    assert review.comments[0].author == "sue" and review.messages[1].codes.miti_codes
    store.rate(session, reply, sue.id, "off_topic", "Not about her sister.")
    store.rate(session, reply, sue.id, "helpful")  # replaces sue's first rating
    [rating] = review_session(store, session).ratings
    assert (rating.rater, rating.rating, rating.note) == ("sue", "helpful", None)


def test_users_cli_runs_on_postgresql(cli, postgres_server):
    url = postgres_server()
    added = cli("users", "add", "ada", "--role", "admin", MIE_DATABASE_URL=url)
    assert added.exit_code == 0, added.output
    listing = cli("users", "list", MIE_DATABASE_URL=url)
    assert re.search(r"ada\s+admin\s+active", listing.output)


def test_an_unreachable_database_is_one_sentence_without_the_password(cli, postgres_server):
    url = postgres_server().rsplit(":", 1)[0].replace("postgres@", "postgres:s3cret-pw@")
    result = cli("users", "list", MIE_DATABASE_URL=f"{url}:1/coach")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: Cannot open the database at postgresql+psycopg://postgres:***@127.0.0.1:1/coach ("
    )
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output
