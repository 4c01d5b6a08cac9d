"""Alembic migrations on a real SQLite file: an older database upgrades in place."""

from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import text

from coach.settings import Settings
from coach.storage.accounts import Accounts
from coach.storage.db import MIGRATIONS, make_engine, open_database
from coach.storage.store import Store


@contextmanager
def database_at(revision: str, tmp_path):
    """A SQLite database migrated only up to ``revision``, open for writing old rows."""
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{settings.data_dir / 'coach.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        yield settings, connection
    engine.dispose()


def test_a_database_from_before_the_login_lockout_keeps_its_accounts(tmp_path):
    with database_at("0003", tmp_path) as (settings, connection):
        connection.execute(
            text(
                "insert into users (username, role, password_hash, disabled, created_at) "
                "values ('old-timer', 'supervisor', :hash, 0, '2026-01-01 00:00:00')"
            ),
            {"hash": PasswordHasher().hash("a-long-password")},
        )

    accounts = Accounts(open_database(settings))  # upgrades to the latest revision
    user = accounts.authenticate("old-timer", "a-long-password")
    assert user is not None and user.role == "supervisor" and not user.locked()


def test_a_database_from_before_ratings_gains_the_table_and_keeps_its_sessions(tmp_path):
    with database_at("0004", tmp_path) as (settings, connection):
        connection.execute(
            text(
                "insert into sessions (id, created_at, focus, channel, flagged) "
                "values ('old1', '2026-01-01 00:00:00', 'open', 'cli', 0)"
            )
        )
        connection.execute(
            text(
                "insert into messages (session_id, created_at, role, content, status) values "
                "('old1', '2026-01-01 00:00:01', 'supervisor', 'What stood out?', 'complete')"
            )
        )

    factory = open_database(settings)  # upgrades to the latest revision
    store = Store(factory)
    rater = Accounts(factory).add("sue", "supervisor", "a-long-password")
    [message] = store.messages("old1")
    store.rate("old1", message.id, rater.id, "helpful", "A good open question.")
    assert [(r.rater, r.rating) for r in store.ratings("old1")] == [("sue", "helpful")]
