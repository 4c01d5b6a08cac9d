"""SQLAlchemy tables: supervision sessions and every message in them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    focus: Mapped[str] = mapped_column(String(32), default="open")
    channel: Mapped[str] = mapped_column(String(16), default="cli")
    messages: Mapped[list[MessageRow]] = relationship(
        back_populates="session", order_by="MessageRow.id", cascade="all, delete-orphan"
    )


class MessageRow(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    role: Mapped[str] = mapped_column(String(16))  # trainee | supervisor
    content: Mapped[str] = mapped_column(Text)
    # For trainee messages: the exact user turn the model saw (notes + message).
    prompt: Mapped[str | None] = mapped_column(Text)
    # complete | streaming | interrupted | failed; a trainee message is always complete
    status: Mapped[str] = mapped_column(String(16), default="complete")
    model: Mapped[str | None] = mapped_column(String(128))
    backend: Mapped[str | None] = mapped_column(String(32))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    timings_ms: Mapped[dict[str, float] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    session: Mapped[SessionRow] = relationship(back_populates="messages")
