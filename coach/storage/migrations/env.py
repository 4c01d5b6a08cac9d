"""Alembic environment: the caller hands over a live connection (see coach.storage.db.migrate)."""

from alembic import context

from coach.storage.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
