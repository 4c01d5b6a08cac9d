"""Reading and writing supervision sessions and their messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from coach.errors import InputError
from coach.tables import MessageRow, SessionRow


class Store:
    """Thin, explicit persistence API so callers never build queries themselves."""

    def __init__(self, factory: sessionmaker) -> None:
        self.factory = factory

    def create_session(self, focus: str = "open", channel: str = "cli") -> str:
        with self.factory.begin() as db:
            row = SessionRow(focus=focus, channel=channel)
            db.add(row)
            db.flush()
            return row.id

    def require_session(self, session_id: str) -> None:
        with self.factory() as db:
            if db.get(SessionRow, session_id) is None:
                raise InputError(f"There is no session '{session_id}'; omit --session to "
                                 "start a new one.")

    def session_ids(self, channel: str | None = None) -> list[str]:
        """Every session id, oldest first (optionally one channel's: web, cli, eval)."""
        with self.factory() as db:
            query = select(SessionRow.id).order_by(SessionRow.created_at, SessionRow.id)
            if channel:
                query = query.where(SessionRow.channel == channel)
            return list(db.scalars(query))

    def session_focus(self, session_id: str) -> str:
        with self.factory() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise InputError(f"There is no session '{session_id}'.")
            return row.focus

    def history(self, session_id: str) -> list[tuple[str, str]]:
        """(role, text the model saw) of the session's complete messages, oldest first."""
        with self.factory() as db:
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == session_id, MessageRow.status == "complete")
                .order_by(MessageRow.id)
            )
            return [(r.role, r.prompt or r.content) for r in rows]

    def add_message(self, session_id: str, role: str, content: str, **fields: Any) -> int:
        with self.factory.begin() as db:
            row = MessageRow(session_id=session_id, role=role, content=content, **fields)
            db.add(row)
            db.flush()
            return row.id

    def update_message(self, message_id: int, **fields: Any) -> None:
        with self.factory.begin() as db:
            row = db.get(MessageRow, message_id)
            for key, value in fields.items():
                setattr(row, key, value)

    def messages(self, session_id: str) -> list[MessageRow]:
        with self.factory() as db:
            return list(db.scalars(
                select(MessageRow).where(MessageRow.session_id == session_id)
                .order_by(MessageRow.id)
            ))
