"""The supervisor's view: the assigned trainees' sessions with filters, each transcript with
MI codes and the MITI summary, comments, a trend plot per trainee, and exports."""

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
from coach.review.session import review_session, trend
from coach.storage.access import readable_session, require_role, visible_trainees
from coach.web.context import WebContext, shown_errors
from coach.web.trainee import FOCUS_CHOICES

LIST_COLUMNS = ["session", "trainee", "started", "focus", "messages", "flagged", "ended"]
ALL = "(all)"
WHOLE_SESSION = "the whole session"


def parse_day(text: str, label: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"The {label} date '{text}' is not a date like 2026-11-25.") from None


def build_supervisor_tab(ctx: WebContext, export_dir: Path) -> gr.Tab:
    def supervisor(request: gr.Request):
        user = ctx.user(request)
        require_role(user, "supervisor")
        return user

    @shown_errors
    def trainee_choices(request: gr.Request) -> tuple[Any, Any]:
        names = [t.username for t in visible_trainees(ctx.accounts, supervisor(request))]
        return (
            gr.Dropdown(choices=[ALL, *names], value=ALL),
            gr.Dropdown(choices=names, value=names[0] if names else None),
        )

    @shown_errors
    def list_sessions(
        trainee: str, since: str, until: str, focus: str, flagged_only: bool, request: gr.Request
    ) -> list[list[Any]]:
        user = supervisor(request)
        mine = {t.username: t.id for t in visible_trainees(ctx.accounts, user)}
        if trainee and trainee != ALL and trainee not in mine:
            raise InputError(f"'{trainee}' is not one of your trainees.")
        ids = [mine[trainee]] if trainee and trainee != ALL else list(mine.values())
        end = parse_day(until, "to")
        rows = ctx.store.sessions(
            user_ids=ids,
            focus=None if focus in (None, ALL) else focus,
            flagged=True if flagged_only else None,
            since=parse_day(since, "from"),
            until=end + timedelta(days=1) if end else None,
        )
        return [
            [
                s.id,
                s.username,
                s.created_at.strftime("%Y-%m-%d %H:%M"),
                s.focus,
                s.messages,
                "yes" if s.flagged else "",
                "yes" if s.ended_at else "",
            ]
            for s in rows
        ]

    @shown_errors
    def open_review(session_id: str, request: gr.Request) -> tuple[str, Any, str]:
        user = supervisor(request)
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        review = review_session(ctx.store, info.id)
        ctx.store.audit(user.id, "view", info.id)
        targets = [WHOLE_SESSION] + [
            f"#{m.number} {m.role}: {m.content[:40]}" for m in review.messages
        ]
        return to_html(review), gr.Dropdown(choices=targets, value=WHOLE_SESSION), info.id

    @shown_errors
    def comment(session_id: str, target: str, text: str, request: gr.Request) -> tuple[str, str]:
        user = supervisor(request)
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        text = (text or "").strip()
        if not text:
            raise InputError("The comment is empty; write something first.")
        if len(text) > 4000:
            raise InputError("The comment is longer than 4,000 characters.")
        message_id = None
        if target and target != WHOLE_SESSION:
            number = int(target.split()[0].lstrip("#"))
            messages = review_session(ctx.store, info.id).messages
            message_id = next((m.id for m in messages if m.number == number), None)
        ctx.store.add_comment(info.id, user.id, text, message_id)
        ctx.store.audit(user.id, "comment", info.id)
        return to_html(review_session(ctx.store, info.id)), ""

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

    with gr.Tab("Review", visible=False) as tab:
        with gr.Row():
            # Choices are filled per supervisor; the handler checks any value it gets.
            trainee = gr.Dropdown([ALL], value=ALL, label="Trainee", allow_custom_value=True)
            since = gr.Textbox(label="From (YYYY-MM-DD)")
            until = gr.Textbox(label="To (YYYY-MM-DD)")
            focus = gr.Dropdown([ALL, *[v for _, v in FOCUS_CHOICES]], value=ALL, label="Focus")
            flagged = gr.Checkbox(label="Flagged only")
        search = gr.Button("Find sessions", variant="primary")
        table = gr.Dataframe(headers=LIST_COLUMNS, interactive=False)
        with gr.Row():
            session_id = gr.Textbox(label="Session id", scale=3)
            open_button = gr.Button("Open session", scale=1)
        transcript = gr.HTML()
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
                label="Supervisor fidelity and trainee change talk per session",
            )

        search.click(
            list_sessions, [trainee, since, until, focus, flagged], table, api_name="sessions"
        )
        open_button.click(
            open_review, session_id, [transcript, target, session_id], api_name="review"
        )
        comment_button.click(
            comment,
            [session_id, target, comment_text],
            [transcript, comment_text],
            api_name="comment",
        )
        export_button.click(export, [session_id, fmt], exported, api_name="export")
        trend_button.click(trend_plot, trend_trainee, plot, api_name="trend")
        tab.select(trainee_choices, None, [trainee, trend_trainee], api_name=False)
    return tab
