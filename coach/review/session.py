"""A session as a supervisor reviews it: every message with its MI codes, the session's MITI
summary, and the reviewers' comments. Codes are computed on demand by the offline coder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coach.coder import code_conversation, code_many
from coach.coder.codes import UtteranceCodes
from coach.coder.summary import SessionSummary
from coach.storage.store import Comment, SessionInfo, Store
from coach.supervisor.guard.categories import LABELS


@dataclass(frozen=True)
class ReviewedMessage:
    id: int
    number: int  # 1-based position in the session
    role: str
    content: str
    status: str
    created_at: datetime
    codes: UtteranceCodes | None
    sources: list[dict]
    model: str | None
    error: str | None
    guidance_mode: str | None = None  # plain | check | best_of_n | guard (supervisor replies)
    candidates: int | None = None
    flags: tuple[str, ...] = ()

    @property
    def flag_labels(self) -> list[str]:
        """The safety categories this message raised, as a reviewer reads them."""
        return [LABELS.get(f, f.replace("_", " ")) for f in self.flags]  # type: ignore[call-overload]


@dataclass(frozen=True)
class SessionReview:
    info: SessionInfo
    messages: list[ReviewedMessage]
    summary: SessionSummary
    comments: list[Comment]


def review_session(store: Store, session_id: str) -> SessionReview:
    rows = [m for m in store.messages(session_id) if m.content.strip()]
    coded = code_conversation([(m.role, m.content) for m in rows])
    messages = [
        ReviewedMessage(
            id=m.id,
            number=i,
            role=m.role,
            content=m.content,
            status=m.status,
            created_at=m.created_at,
            codes=codes,
            sources=m.sources or [],
            model=m.model,
            error=m.error,
            guidance_mode=m.guidance_mode,
            candidates=m.candidates,
            flags=tuple(m.flags or ()),
        )
        for i, (m, codes) in enumerate(zip(rows, coded.utterances, strict=True), 1)
    ]
    return SessionReview(
        info=store.session(session_id),
        messages=messages,
        summary=coded.summary,
        comments=store.comments(session_id),
    )


def trend(store: Store, trainee_id: int) -> list[dict]:
    """One point per session, oldest first: the supervisor replies' MI fidelity and the
    trainee's change-talk share (change / (change + sustain)), for the trend plot."""
    sessions = [s for s in reversed(store.sessions(user_ids=[trainee_id])) if s.messages]
    conversations = [
        [(m.role, m.content) for m in store.messages(s.id) if m.content.strip()] for s in sessions
    ]
    points = []
    for info, coded in zip(sessions, code_many(conversations), strict=True):
        when = info.created_at.strftime("%Y-%m-%d %H:%M")
        talk = coded.summary.talk_counts
        voiced = talk["change"] + talk["sustain"]
        points += [
            {"session": when, "measure": "fidelity", "value": coded.summary.fidelity},
            {
                "session": when,
                "measure": "trainee change talk",
                "value": round(talk["change"] / voiced, 3) if voiced else 0.5,
            },
        ]
    return points
