"""SQLAlchemy tables: users and assignments, supervision sessions, every message in them,
reviewers' comments and ratings, and the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # trainee | supervisor | admin
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, never the password
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # Wrong passwords in a row, and the lockout they triggered (coach/storage/accounts.py).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AssignmentRow(Base):
    """A supervisor reviews an assigned trainee's sessions."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("supervisor_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    focus: Mapped[str] = mapped_column(String(32), default="open")
    channel: Mapped[str] = mapped_column(String(16), default="cli")
    # The trainee who owns the session; None for CLI sessions, which have no login.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str | None] = mapped_column(Text)  # the supervisor's closing summary
    next_steps: Mapped[str | None] = mapped_column(Text)  # written by the trainee
    # supervision (with the AI supervisor) | practice (the trainee with a simulated client)
    kind: Mapped[str] = mapped_column(String(16), default="supervision")
    persona: Mapped[str | None] = mapped_column(String(64))  # practice: the client persona
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
    # For supervisor replies: plain | check | best_of_n | guard, and how many candidates
    # were scored; ``guidance`` holds each candidate's score, codes and reasons.
    guidance_mode: Mapped[str | None] = mapped_column(String(16))
    candidates: Mapped[int | None] = mapped_column(Integer)
    guidance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    flags: Mapped[list[str] | None] = mapped_column(JSON)  # safety categories detected
    # Practice: the simulated client's hidden state after this message, and its act.
    client_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    session: Mapped[SessionRow] = relationship(back_populates="messages")


class CommentRow(Base):
    """A reviewer's comment on one message, or on the whole session (message_id None)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RatingRow(Base):
    """A reviewer's judgment of one AI supervisor reply; rating it again replaces it."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("message_id", "rater_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[str] = mapped_column(String(32))  # a key of coach.storage.store.RATINGS
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditRow(Base):
    """Who viewed, exported, commented on or deleted what, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # The signed-in user; None for the command line and retention, or once deleted.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Who, in words, when there is no user row: "cli", "retention", or a deleted username.
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # view | export:json | comment | ...
    session_id: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
