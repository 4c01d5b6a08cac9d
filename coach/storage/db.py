"""The database: SQLite (WAL) in the data dir by default, PostgreSQL via MIE_DATABASE_URL.

The schema is owned by Alembic migrations in ``coach/storage/migrations``; ``open_database``
upgrades to the latest revision before handing out sessions.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import sessionmaker

from coach.errors import ConfigError
from coach.settings import Settings, mask_url

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(settings: Settings) -> str:
    if settings.database_url:
        url = settings.database_url.get_secret_value()
        # A plain postgresql:// URL would make SQLAlchemy look for psycopg2; we use psycopg 3.
        for scheme in ("postgresql://", "postgres://"):
            if url.startswith(scheme):
                url = "postgresql+psycopg://" + url[len(scheme) :]
        return url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{settings.data_dir / 'coach.db'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"MIE_DATABASE_URL needs the database driver '{exc.name}'; for "
            "PostgreSQL, pip install 'mie-coach[postgres]'."
        ) from None
    except ArgumentError:
        raise ConfigError(
            "MIE_DATABASE_URL is not a database URL; use e.g. "
            "postgresql://user:password@host/dbname."
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@lru_cache(maxsize=4)
def _session_factory(url: str) -> sessionmaker:
    engine = make_engine(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise ConfigError(f"Cannot open the database at {mask_url(url)} ({reason}).") from None
    return sessionmaker(engine, expire_on_commit=False)


def open_database(settings: Settings) -> sessionmaker:
    """A session factory bound to an up-to-date database."""
    return _session_factory(database_url(settings))
