"""Export a reviewed session as JSON, CSV or a printable HTML report."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from coach.coder.summary import THRESHOLDS
from coach.review.session import SessionReview
from coach.storage.store import HINT_ROLE, Rating

FORMATS = ("json", "csv", "html")


def to_dict(review: SessionReview) -> dict[str, Any]:
    info = review.info
    return {
        "session": {
            "id": info.id,
            "trainee": info.username,
            "focus": info.focus,
            "created_at": info.created_at.isoformat(),
            "ended_at": info.ended_at.isoformat() if info.ended_at else None,
            "flagged": info.flagged,
            "flag_reason": info.flag_reason,
            "closing_summary": info.summary,
            "next_steps": info.next_steps,
        },
        "messages": [
            {
                "number": m.number,
                "id": m.id,
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "model": m.model,
                "sources": m.sources,
                "guidance_mode": m.guidance_mode,
                "candidates": m.candidates,
                "flags": list(m.flags),
                "codes": m.codes.model_dump(mode="json", exclude={"text"}) if m.codes else None,
                "ratings": [
                    {"rater": r.rater, "rating": r.rating, "note": r.note}
                    for r in review.ratings_of(m.id)
                ],
            }
            for m in review.messages
        ],
        "miti_summary": review.summary.model_dump(mode="json"),
        "comments": [
            {
                "message_id": c.message_id,
                "author": c.author,
                "text": c.text,
                "created_at": c.created_at.isoformat(),
            }
            for c in review.comments
        ],
    }


def to_json(review: SessionReview) -> str:
    return json.dumps(to_dict(review), indent=2, ensure_ascii=False) + "\n"


def to_csv(review: SessionReview) -> str:
    """One row per message, in the coder's CSV columns (``mie-coach code`` reads it back)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "conversation_id",
            "number",
            "speaker",
            "text",
            "status",
            "behaviour",
            "miti_codes",
            "question_type",
            "reflection_type",
            "talk_type",
            "created_at",
            "ratings",
        ]
    )
    therapist = "trainee" if review.info.kind == "practice" else "supervisor"
    for m in review.messages:
        if m.role == HINT_ROLE:  # not part of the conversation the coder reads back
            continue
        c = m.codes
        writer.writerow(
            [
                review.info.id,
                m.number,
                "therapist" if m.role == therapist else "client",
                m.content,
                m.status,
                (c.behaviour or "") if c else "",
                ";".join(c.miti_codes) if c else "",
                (c.question_type or "") if c else "",
                (c.reflection_type or "") if c else "",
                (c.talk_type or "") if c else "",
                m.created_at.isoformat(),
                "; ".join(_rating_text(r) for r in review.ratings_of(m.id)),
            ]
        )
    return out.getvalue()


def _rating_text(rating: Rating) -> str:
    note = f" ({rating.note})" if rating.note else ""
    return f"{rating.rater}: {rating.label}{note}"


def to_html(review: SessionReview) -> str:
    env = Environment(
        loader=PackageLoader("coach.review", "html"), autoescape=select_autoescape(["html", "j2"])
    )
    return env.get_template("session.html.j2").render(
        review=review,
        thresholds=THRESHOLDS,
        comments_by_message={
            m.id: [c for c in review.comments if c.message_id == m.id] for m in review.messages
        },
        session_comments=[c for c in review.comments if c.message_id is None],
    )


def render(review: SessionReview, fmt: str) -> str:
    return {"json": to_json, "csv": to_csv, "html": to_html}[fmt](review)
