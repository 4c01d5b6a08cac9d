"""Reading and writing supervision sessions and their messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.errors import InputError
from coach.storage.tables import (
    AuditRow,
    CommentRow,
    MessageRow,
    RatingRow,
    SessionRow,
    UserRow,
)

INTERRUPTED_BY_RESTART = "The server stopped while this reply was being written."


@dataclass(frozen=True)
class SessionInfo:
    id: str
    created_at: datetime
    focus: str
    channel: str
    user_id: int | None
    username: str | None
    flagged: bool
    flag_reason: str | None
    ended_at: datetime | None
    summary: str | None
    next_steps: str | None
    messages: int
    kind: str = "supervision"
    persona: str | None = None


@dataclass(frozen=True)
class Comment:
    id: int
    message_id: int | None
    author: str
    text: str
    created_at: datetime


# What a reviewer can say about one AI supervisor reply (key: as a reviewer reads it).
RATINGS: dict[str, str] = {
    "helpful": "helpful",
    "off_topic": "off topic",
    "not_mi_consistent": "not MI-consistent",
    "unsafe": "unsafe",
}
MAX_NOTE_CHARS = 2000
# A supervisor's hint during a practice: kept with the practice, outside its conversation (not
# coded, not counted as a turn).
HINT_ROLE = "hint"
RATED_ROLES = {"supervisor", "client"}  # the AI supervisor, and the simulated client


@dataclass(frozen=True)
class Rating:
    id: int
    session_id: str
    message_id: int
    rater: str
    rating: str
    note: str | None
    created_at: datetime

    @property
    def label(self) -> str:
        return RATINGS.get(self.rating, self.rating)


class Store:
    """Thin, explicit persistence API so callers never build queries themselves."""

    def __init__(self, factory: sessionmaker) -> None:
        self.factory = factory

    def create_session(
        self,
        focus: str = "open",
        channel: str = "cli",
        user_id: int | None = None,
        kind: str = "supervision",
        persona: str | None = None,
    ) -> str:
        with self.factory.begin() as db:
            row = SessionRow(
                focus=focus, channel=channel, user_id=user_id, kind=kind, persona=persona
            )
            db.add(row)
            db.flush()
            return row.id

    def require_session(self, session_id: str) -> None:
        with self.factory() as db:
            if db.get(SessionRow, session_id) is None:
                raise InputError(
                    f"There is no session '{session_id}'; omit --session to start a new one."
                )

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

    def last_exchange(self, session_id: str) -> tuple[str | None, str | None]:
        """The trainee message the session's last complete reply answered, and the MI move
        that reply made (from its guidance); (None, None) before the first reply."""
        with self.factory() as db:
            rows = list(
                db.scalars(
                    select(MessageRow)
                    .where(
                        MessageRow.session_id == session_id,
                        MessageRow.status == "complete",
                        MessageRow.role.in_(("trainee", "supervisor")),
                    )
                    .order_by(MessageRow.id.desc())
                    .limit(2)
                )
            )
        if len(rows) < 2 or rows[0].role != "supervisor" or rows[1].role != "trainee":
            return None, None
        move = (rows[0].guidance or {}).get("move")
        return rows[1].content, move

    def opening_message(self, session_id: str) -> str | None:
        """The session's first trainee message, as the trainee wrote it."""
        with self.factory() as db:
            return db.scalar(
                select(MessageRow.content)
                .where(MessageRow.session_id == session_id, MessageRow.role == "trainee")
                .order_by(MessageRow.id)
                .limit(1)
            )

    def trainee_messages(self, session_id: str, unflagged: bool = False) -> list[str]:
        """What the trainee wrote in the session, oldest first; with ``unflagged``, up to the
        last message that raised a safety flag, and not that one."""
        with self.factory() as db:
            rows = db.execute(
                select(MessageRow.content, MessageRow.flags)
                .where(MessageRow.session_id == session_id, MessageRow.role == "trainee")
                .order_by(MessageRow.id)
            ).all()
        if unflagged:
            last = max((i for i, row in enumerate(rows) if row.flags), default=-1)
            rows = rows[last + 1 :]
        return [row.content for row in rows]

    def message_position(self, session_id: str, message_id: int) -> int:
        """The 1-based place of a message in its session, as the review numbers it."""
        with self.factory() as db:
            return (
                db.scalar(
                    select(func.count())
                    .select_from(MessageRow)
                    .where(
                        MessageRow.session_id == session_id,
                        MessageRow.id <= message_id,
                        func.length(func.trim(MessageRow.content)) > 0,
                    )  # as the review skips
                )
                or 0
            )

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

    def recover_streaming(self) -> int:
        """Mark replies left "streaming" by a process that died mid-reply as interrupted,
        keeping their partial text. Run when the server starts; returns how many."""
        with self.factory.begin() as db:
            result = db.execute(
                update(MessageRow)
                .where(MessageRow.status == "streaming")
                .values(status="interrupted", error=INTERRUPTED_BY_RESTART)
            )
            return result.rowcount or 0

    def messages(self, session_id: str) -> list[MessageRow]:
        with self.factory() as db:
            return list(
                db.scalars(
                    select(MessageRow)
                    .where(MessageRow.session_id == session_id)
                    .order_by(MessageRow.id)
                )
            )

    # -- review: listing, ending, flagging, comments, audit --------------------------------

    def sessions(
        self,
        user_ids: list[int] | None = None,
        focus: str | None = None,
        flagged: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
    ) -> list[SessionInfo]:
        """Sessions newest first. ``user_ids`` limits them to those trainees' sessions (an
        empty list means none); the caller decides what a user may see (coach.storage.access)."""
        if user_ids is not None and not user_ids:
            return []
        with self.factory() as db:
            counts = (
                select(MessageRow.session_id, func.count().label("n"))
                .where(MessageRow.role != HINT_ROLE)
                .group_by(MessageRow.session_id)
                .subquery()
            )
            query = (
                select(SessionRow, UserRow.username, func.coalesce(counts.c.n, 0))
                .outerjoin(UserRow, UserRow.id == SessionRow.user_id)
                .outerjoin(counts, counts.c.session_id == SessionRow.id)
                .order_by(SessionRow.created_at.desc(), SessionRow.id)
            )
            if user_ids is not None:
                query = query.where(SessionRow.user_id.in_(user_ids))
            if focus:
                query = query.where(SessionRow.focus == focus)
            if flagged is not None:
                query = query.where(SessionRow.flagged == flagged)
            if kind:
                query = query.where(SessionRow.kind == kind)
            if since:
                query = query.where(SessionRow.created_at >= since)
            if until:
                query = query.where(SessionRow.created_at < until)
            return [_info(row, name, n) for row, name, n in db.execute(query)]

    def session(self, session_id: str) -> SessionInfo:
        with self.factory() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise InputError(f"There is no session '{session_id}'.")
            name = db.get(UserRow, row.user_id).username if row.user_id else None
            n = db.scalar(
                select(func.count()).where(
                    MessageRow.session_id == session_id, MessageRow.role != HINT_ROLE
                )
            )
            return _info(row, name, n or 0)

    def end_session(self, session_id: str, summary: str, next_steps: str) -> None:
        with self.factory.begin() as db:
            row = db.get(SessionRow, session_id)
            row.summary, row.next_steps, row.ended_at = summary, next_steps, datetime.now(UTC)

    def flag_session(self, session_id: str, reason: str) -> None:
        """Mark a session for a human reviewer; reasons accumulate, one per line."""
        with self.factory.begin() as db:
            row = db.get(SessionRow, session_id)
            reasons = [r for r in (row.flag_reason or "").splitlines() if r]
            if reason not in reasons:
                reasons.append(reason)
            row.flagged, row.flag_reason = True, "\n".join(reasons)

    def add_comment(
        self, session_id: str, author_id: int, text: str, message_id: int | None = None
    ) -> int:
        with self.factory.begin() as db:
            if message_id is not None:
                message = db.get(MessageRow, message_id)
                if message is None or message.session_id != session_id:
                    raise InputError(f"Message {message_id} is not part of this session.")
            row = CommentRow(
                session_id=session_id, author_id=author_id, text=text, message_id=message_id
            )
            db.add(row)
            db.flush()
            return row.id

    def comments(self, session_id: str) -> list[Comment]:
        with self.factory() as db:
            rows = db.execute(
                select(CommentRow, UserRow.username)
                .join(UserRow, UserRow.id == CommentRow.author_id)
                .where(CommentRow.session_id == session_id)
                .order_by(CommentRow.id)
            )
            return [
                Comment(
                    id=c.id,
                    message_id=c.message_id,
                    author=name,
                    text=c.text,
                    created_at=c.created_at,
                )
                for c, name in rows
            ]

    def rate(
        self, session_id: str, message_id: int, rater_id: int, rating: str, note: str = ""
    ) -> int:
        """Store one reviewer's rating of one supervisor reply; a new rating replaces theirs."""
        if rating not in RATINGS:
            raise InputError(f"'{rating}' is not a rating; use one of {', '.join(RATINGS)}.")
        note = note.strip()
        if len(note) > MAX_NOTE_CHARS:
            raise InputError(f"The note is longer than {MAX_NOTE_CHARS:,} characters.")
        with self.factory.begin() as db:
            message = db.get(MessageRow, message_id)
            if message is None or message.session_id != session_id:
                raise InputError(f"Message {message_id} is not part of this session.")
            if message.role not in RATED_ROLES:
                raise InputError(
                    "Only what a model wrote can be rated: the AI supervisor's replies, or the "
                    "simulated client's in a practice."
                )
            row = db.scalar(
                select(RatingRow).where(
                    RatingRow.message_id == message_id, RatingRow.rater_id == rater_id
                )
            )
            if row is None:
                row = RatingRow(session_id=session_id, message_id=message_id, rater_id=rater_id)
                db.add(row)
            row.rating, row.note, row.created_at = rating, note or None, datetime.now(UTC)
            db.flush()
            return row.id

    def ratings(
        self, session_id: str | None = None, session_ids: list[str] | None = None
    ) -> list[Rating]:
        """Ratings of one session, of several, or of every session, oldest first."""
        with self.factory() as db:
            query = (
                select(RatingRow, UserRow.username)
                .join(UserRow, UserRow.id == RatingRow.rater_id)
                .order_by(RatingRow.id)
            )
            if session_id is not None:
                query = query.where(RatingRow.session_id == session_id)
            if session_ids is not None:
                query = query.where(RatingRow.session_id.in_(session_ids))
            return [
                Rating(
                    id=r.id,
                    session_id=r.session_id,
                    message_id=r.message_id,
                    rater=name,
                    rating=r.rating,
                    note=r.note,
                    created_at=r.created_at,
                )
                for r, name in db.execute(query)
            ]

    def audit(
        self,
        user_id: int | None,
        action: str,
        session_id: str | None = None,
        actor: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self.factory.begin() as db:
            db.add(
                AuditRow(
                    user_id=user_id,
                    action=action,
                    session_id=session_id,
                    actor=actor,
                    detail=detail,
                )
            )

    def audit_log(self, session_id: str | None = None) -> list[tuple[datetime, str, str, str]]:
        """(when, who, action, session) newest first; who is the username, or the actor in
        words for the command line, retention and deleted accounts."""
        with self.factory() as db:
            query = (
                select(
                    AuditRow.at,
                    func.coalesce(UserRow.username, AuditRow.actor, "unknown"),
                    AuditRow.action,
                    AuditRow.session_id,
                )
                .outerjoin(UserRow, UserRow.id == AuditRow.user_id)
                .order_by(AuditRow.id.desc())
            )
            if session_id:
                query = query.where(AuditRow.session_id == session_id)
            return [tuple(r) for r in db.execute(query)]  # type: ignore[misc]

    # -- retention and deletion ------------------------------------------------------------

    def delete_sessions(self, session_ids: list[str]) -> int:
        """Delete sessions with their messages, comments and ratings; returns how many. The
        audit log keeps its rows (who saw what stays on record)."""
        if not session_ids:
            return 0
        with self.factory.begin() as db:
            return delete_session_rows(db, session_ids)

    def sessions_idle_since(self, cutoff: datetime) -> list[str]:
        """Sessions with no message (and no start) after ``cutoff``."""
        with self.factory() as db:
            last = (
                select(MessageRow.session_id, func.max(MessageRow.created_at).label("last"))
                .group_by(MessageRow.session_id)
                .subquery()
            )
            query = (
                select(SessionRow.id)
                .outerjoin(last, last.c.session_id == SessionRow.id)
                .where(func.coalesce(last.c.last, SessionRow.created_at) < cutoff)
            )
            return list(db.scalars(query))

    def apply_retention(self, days: int, now: datetime | None = None) -> int:
        """Delete sessions idle for more than ``days`` days, recorded in the audit log."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        ids = self.sessions_idle_since(cutoff)
        deleted = self.delete_sessions(ids)
        if deleted:
            self.audit(
                None,
                "retention",
                actor="retention",
                detail=f"deleted {deleted} session(s) idle for over {days} days: " + ", ".join(ids),
            )
        return deleted


def delete_session_rows(db: Session, session_ids: list[str]) -> int:
    """Within the caller's transaction: the sessions, their messages, comments and ratings."""
    for table in (RatingRow, CommentRow, MessageRow):
        db.execute(delete(table).where(table.session_id.in_(session_ids)))
    return db.execute(delete(SessionRow).where(SessionRow.id.in_(session_ids))).rowcount or 0


def _info(row: SessionRow, username: str | None, messages: int) -> SessionInfo:
    return SessionInfo(
        id=row.id,
        created_at=row.created_at,
        focus=row.focus,
        channel=row.channel,
        user_id=row.user_id,
        username=username,
        flagged=row.flagged,
        flag_reason=row.flag_reason,
        ended_at=row.ended_at,
        summary=row.summary,
        next_steps=row.next_steps,
        messages=messages,
        kind=row.kind or "supervision",
        persona=row.persona,
    )
