"""The supervisor's view: their trainees' sessions newest first (flagged ones marked with the
reason), each transcript with MI codes and the MITI summary, comments, ratings of each AI
supervisor reply, a trend plot per trainee, and exports.

The list loads when a supervisor signs in; clicking a row opens the session. Every handler
checks the signed-in user and what they may see (coach.storage.access), whatever it is sent.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from coach.errors import InputError
from coach.files import write_atomically
from coach.review.exports import FORMATS, render, to_html
from coach.review.session import (
    SessionReview,
    flag_summary,
    review_session,
    reviewed_rows,
    trend,
)
from coach.storage.access import readable_session, require_role, visible_trainees
from coach.storage.store import RATINGS
from coach.web.context import WebContext, shown_errors
from coach.web.trainee import FOCUS_CHOICES

LIST_COLUMNS = ["session", "trainee", "started", "focus", "messages", "flagged", "ended"]
ALL = "(all)"
WHOLE_SESSION = "the whole session"
RATING_CHOICES = [(label, key) for key, label in RATINGS.items()]


def parse_day(value: str | float | None, label: str) -> datetime | None:
    """A day from the date picker ("2026-11-25", or a timestamp from the API)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(hour=0, minute=0, second=0)
    text = value.strip()
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"The {label} date '{text}' is not a date like 2026-11-25.") from None


def message_choices(review: SessionReview, role: str | None = None) -> list[str]:
    return [
        f"#{m.number} {m.role}: {m.content[:50]}"
        for m in review.messages
        if role is None or m.role == role
    ]


def message_number(choice: str) -> int:
    try:
        return int(choice.split()[0].lstrip("#"))
    except (ValueError, IndexError):
        raise InputError(f"'{choice}' is not one of this session's messages.") from None


def build_supervisor_tab(ctx: WebContext, export_dir: Path) -> tuple[gr.Tab, Any]:
    """The Review tab, and the event that fills it when a supervisor signs in."""

    def supervisor(request: gr.Request):
        user = ctx.user(request)
        require_role(user, "supervisor")
        return user

    def sessions_rows(user, trainee, since, until, focus, flagged_only) -> list[list[Any]]:
        mine = {t.username: t.id for t in visible_trainees(ctx.accounts, user)}
        if trainee and trainee != ALL and trainee not in mine:
            raise InputError(f"'{trainee}' is not one of your trainees.")
        ids = [mine[trainee]] if trainee and trainee != ALL else list(mine.values())
        start, end = parse_day(since, "from"), parse_day(until, "to")
        if start and end and end < start:
            raise InputError("The 'to' date is before the 'from' date.")
        rows = ctx.store.sessions(
            user_ids=ids,
            focus=None if focus in (None, ALL) else focus,
            flagged=True if flagged_only else None,
            since=start,
            until=end + timedelta(days=1) if end else None,
        )
        return [
            [
                s.id,
                s.username,
                s.created_at.strftime("%Y-%m-%d %H:%M"),
                s.focus if s.kind == "supervision" else f"practice: {s.persona}",
                s.messages,
                f"⚑ {flag_summary(s.flag_reason)}" if s.flagged else "",
                "yes" if s.ended_at else "",
            ]
            for s in rows
        ]

    @shown_errors
    def landing(request: gr.Request) -> tuple[Any, Any, Any]:
        """On sign-in: the supervisor's whole list, newest first, and the trainee pickers."""
        user = ctx.user(request)
        if user.role != "supervisor":
            return gr.skip(), gr.skip(), gr.skip()
        names = [t.username for t in visible_trainees(ctx.accounts, user)]
        return (
            sessions_rows(user, ALL, None, None, ALL, False),
            gr.Dropdown(choices=[ALL, *names], value=ALL),
            gr.Dropdown(choices=names, value=names[0] if names else None),
        )

    @shown_errors
    def list_sessions(
        trainee: str, since: Any, until: Any, focus: str, flagged_only: bool, request: gr.Request
    ) -> list[list[Any]]:
        return sessions_rows(supervisor(request), trainee, since, until, focus, flagged_only)

    def opened(user, session_id: str) -> tuple[str, Any, Any, str]:
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        review = review_session(ctx.store, info.id)
        ctx.store.audit(user.id, "view", info.id)
        # In a practice, the model-written replies are the simulated client's.
        replies = message_choices(review, "client" if info.kind == "practice" else "supervisor")
        return (
            to_html(review),
            gr.Dropdown(choices=[WHOLE_SESSION, *message_choices(review)], value=WHOLE_SESSION),
            gr.Dropdown(choices=replies, value=replies[0] if replies else None),
            info.id,
        )

    @shown_errors
    def open_review(session_id: str, request: gr.Request) -> tuple[str, Any, Any, str]:
        return opened(supervisor(request), session_id)

    @shown_errors
    def open_clicked(evt: gr.SelectData, request: gr.Request) -> tuple[str, Any, Any, str]:
        user = supervisor(request)
        row = evt.row_value or []
        if not row or not row[0]:
            raise InputError("That row holds no session.")
        return opened(user, str(row[0]))

    def message_id(session_id: str, choice: str) -> int:
        number = message_number(choice)
        rows = reviewed_rows(ctx.store, session_id)  # numbered as the review numbers them
        if not 1 <= number <= len(rows):
            raise InputError(f"This session has no message #{number}.")
        return rows[number - 1].id

    @shown_errors
    def comment(session_id: str, target: str, text: str, request: gr.Request) -> tuple[str, str]:
        user = supervisor(request)
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        text = (text or "").strip()
        if not text:
            raise InputError("The comment is empty; write something first.")
        if len(text) > 4000:
            raise InputError("The comment is longer than 4,000 characters.")
        target_id = message_id(info.id, target) if target and target != WHOLE_SESSION else None
        ctx.store.add_comment(info.id, user.id, text, target_id)
        ctx.store.audit(user.id, "comment", info.id)
        return to_html(review_session(ctx.store, info.id)), ""

    @shown_errors
    def rate(
        session_id: str, reply: str, rating: str, note: str, request: gr.Request
    ) -> tuple[str, str, str]:
        user = supervisor(request)
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        if not reply:
            raise InputError("Choose which reply to rate.")
        if not rating:
            raise InputError("Choose a rating first.")
        ctx.store.rate(info.id, message_id(info.id, reply), user.id, rating, note or "")
        ctx.store.audit(user.id, "rate", info.id)
        saved = f"Saved: {reply.split(':')[0]} rated {RATINGS.get(rating, rating)}."
        return to_html(review_session(ctx.store, info.id)), "", saved

    @shown_errors
    def export(session_id: str, fmt: str, request: gr.Request) -> str:
        user = supervisor(request)
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        if fmt not in FORMATS:
            raise InputError(f"Unknown export format '{fmt}'; use json, csv or html.")
        folder = Path(tempfile.mkdtemp(dir=export_dir))
        path = folder / f"session-{info.id}.{fmt}"
        write_atomically(path, render(review_session(ctx.store, info.id), fmt))
        ctx.store.audit(user.id, f"export:{fmt}", info.id)
        return str(path)

    @shown_errors
    def trend_plot(trainee: str, request: gr.Request) -> pd.DataFrame:
        user = supervisor(request)
        mine = {t.username: t.id for t in visible_trainees(ctx.accounts, user)}
        if trainee not in mine:
            raise InputError("Choose one of your trainees.")
        return pd.DataFrame(
            trend(ctx.store, mine[trainee]), columns=["session", "measure", "value"]
        )

    with gr.Tab("Review", id="review", visible=False) as tab:
        with gr.Row():
            # Choices are filled per supervisor; the handler checks any value it gets.
            trainee = gr.Dropdown([ALL], value=ALL, label="Trainee", allow_custom_value=True)
            since = gr.DateTime(label="From", include_time=False, type="string")
            until = gr.DateTime(label="To", include_time=False, type="string")
            focus = gr.Dropdown([ALL, *[v for _, v in FOCUS_CHOICES]], value=ALL, label="Focus")
            flagged = gr.Checkbox(label="Flagged only")
        search = gr.Button("Refresh list")
        gr.Markdown("Your trainees' sessions, newest first. Click a session to open it.")
        table = gr.Dataframe(headers=LIST_COLUMNS, interactive=False, elem_id="review-list")
        session_id = gr.Textbox(label="Open session", interactive=False)
        transcript = gr.HTML()
        with gr.Accordion(
            "Rate a reply (the supervisor's, or the client's in a practice)", open=True
        ):
            with gr.Row():
                reply = gr.Dropdown([], label="Reply", allow_custom_value=True, scale=2)
                rating = gr.Radio(RATING_CHOICES, label="Rating", scale=2)
            with gr.Row():
                note = gr.Textbox(label="Note (optional)", lines=1, scale=3)
                rate_button = gr.Button("Save rating", scale=1)
            rated = gr.Markdown()
        with gr.Row():
            target = gr.Dropdown([WHOLE_SESSION], value=WHOLE_SESSION, label="Comment on")
            comment_text = gr.Textbox(label="Comment", lines=2)
            comment_button = gr.Button("Add comment")
        with gr.Row():
            fmt = gr.Radio(list(FORMATS), value="html", label="Export as")
            export_button = gr.Button("Export")
            exported = gr.File(label="Export")
        with gr.Accordion("Trend per trainee", open=False):
            trend_trainee = gr.Dropdown([], label="Trainee", allow_custom_value=True)
            trend_button = gr.Button("Plot")
            plot = gr.LinePlot(
                x="session",
                y="value",
                color="measure",
                y_lim=[0, 1],
                label="Supervisor fidelity, trainee change talk and replies rated helpful",
            )

        filters = [trainee, since, until, focus, flagged]
        search.click(list_sessions, filters, table, api_name="sessions")
        for control in filters:
            control.change(list_sessions, filters, table, api_name=False)
        opened_outputs = [transcript, target, reply, session_id]
        table.select(open_clicked, None, opened_outputs, api_name=False)
        # For API clients (and tests): open a session by id; access is checked the same way.
        gr.Button("Open", visible=False).click(
            open_review, session_id, opened_outputs, api_name="review"
        )
        rate_button.click(
            rate, [session_id, reply, rating, note], [transcript, note, rated], api_name="rate"
        )
        comment_button.click(
            comment,
            [session_id, target, comment_text],
            [transcript, comment_text],
            api_name="comment",
        )
        export_button.click(export, [session_id, fmt], exported, api_name="export")
        trend_button.click(trend_plot, trend_trainee, plot, api_name="trend")
    return tab, (landing, [table, trainee, trend_trainee])
