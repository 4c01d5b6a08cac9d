"""A session as a supervisor reviews it: every message with its MI codes, the session's MITI
summary, and the reviewers' comments and ratings. Codes are computed on demand by the offline
coder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from coach.coder import CodedConversation, code_conversation, code_many
from coach.coder.codes import UtteranceCodes
from coach.coder.summary import SessionSummary
from coach.storage.store import HINT_ROLE, Comment, Rating, SessionInfo, Store
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
    ratings: list[Rating] = field(default_factory=list)

    def ratings_of(self, message_id: int) -> list[Rating]:
        return [r for r in self.ratings if r.message_id == message_id]


def coder_roles(kind: str, rows) -> list[tuple[str, str]]:
    """(speaker, text) for the coder: in a practice the trainee is the therapist, and the
    supervisor's hints are not part of the conversation."""
    if kind == "practice":
        return [
            ("therapist" if m.role == "trainee" else "client", m.content)
            for m in rows
            if m.role != HINT_ROLE
        ]
    return [(m.role, m.content) for m in rows]


def reviewed_rows(store: Store, session_id: str) -> list:
    """The messages a review shows and numbers (1, 2, ...): those with any text."""
    return [m for m in store.messages(session_id) if m.content.strip()]


def review_session(store: Store, session_id: str) -> SessionReview:
    info = store.session(session_id)
    rows = reviewed_rows(store, session_id)
    coded = code_conversation(coder_roles(info.kind, rows), trainee=info.kind == "practice")
    spoken = iter(coded.utterances)
    codes_by_row = [None if m.role == HINT_ROLE else next(spoken) for m in rows]
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
        for i, (m, codes) in enumerate(zip(rows, codes_by_row, strict=True), 1)
    ]
    return SessionReview(
        info=info,
        messages=messages,
        summary=coded.summary,
        comments=store.comments(session_id),
        ratings=store.ratings(session_id),
    )


def flag_summary(reason: str | None) -> str:
    """A flag reason as a list shows it: which message raised which categories, without the
    evidence (the review shows that)."""
    parts = []
    for line in (reason or "").splitlines():
        found = [label for label in LABELS.values() if label in line]
        message = re.match(r"message \d+", line)
        if line.startswith("unsafe draft replaced"):
            parts.append("unsafe draft replaced")
        elif found:
            parts.append(f"{message.group(0)}: " * bool(message) + ", ".join(found))
        elif line.strip():
            parts.append(line.strip()[:60])
    return "; ".join(parts)


def trend(store: Store, trainee_id: int) -> list[dict]:
    """Points per session, oldest first, for the trend plot: the supervisor replies' MI
    fidelity, the trainee's change-talk share (change / (change + sustain)) and, where
    reviewers rated replies, the share of ratings that say "helpful"."""
    sessions = [s for s in reversed(store.sessions(user_ids=[trainee_id])) if s.messages]
    conversations = [
        coder_roles(s.kind, [m for m in store.messages(s.id) if m.content.strip()])
        for s in sessions
    ]
    ratings = store.ratings(session_ids=[s.id for s in sessions])
    points = []
    codings: dict[int, CodedConversation] = {}
    for practising in (False, True):  # a practice's trainee is coded with the trainee coder
        picked = [i for i, s in enumerate(sessions) if (s.kind == "practice") == practising]
        batch = code_many([conversations[i] for i in picked], trainee=practising)
        codings.update(zip(picked, batch, strict=True))
    for i, info in enumerate(sessions):
        coded = codings[i]
        when = info.created_at.strftime("%Y-%m-%d %H:%M")
        if info.kind == "practice":  # the trainee's own MI, as the therapist
            cr = coded.summary.percent_complex_reflections
            points.append(
                {"session": when, "measure": "practice fidelity", "value": coded.summary.fidelity}
            )
            if cr is not None:
                points.append(
                    {"session": when, "measure": "practice % complex reflections", "value": cr}
                )
            continue
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
        rated = [r.rating for r in ratings if r.session_id == info.id]
        if rated:
            share = rated.count("helpful") / len(rated)
            points.append({"session": when, "measure": "rated helpful", "value": round(share, 3)})
    return points
