"""The trainee's view: start a session with a focus, chat with streaming, stop a reply, end
the session with a summary and their own next steps, and reopen past sessions."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from coach.errors import CoachError, InputError
from coach.storage.access import readable_session, require_role, writable_session
from coach.supervisor.agent import Revision, TurnResult, clean_message
from coach.web.context import WebContext, shown_errors

FOCUS_CHOICES = [
    ("A client's integration work", "client"),
    ("My MI skills", "skills"),
    ("Self-care and burnout", "selfcare"),
    ("Open", "open"),
]
SESSION_COLUMNS = ["session", "started", "focus", "messages", "status"]


def sources_markdown(result: TurnResult | None) -> str:
    if not result or not result.sources:
        return ""
    lines = [
        f"- **{html.escape(s['title'])}** (`{s['id']}`, score {s['score']:.2f})"
        for s in result.source_list()
    ]
    return "<details><summary>Sources</summary>\n\n" + "\n".join(lines) + "\n\n</details>"


def chat_history(ctx: WebContext, session_id: str) -> list[dict[str, str]]:
    history = []
    for m in ctx.store.messages(session_id):
        text = m.content
        if m.status != "complete" and m.role == "supervisor":
            text += f"\n\n*({m.status} reply)*"
        history.append({"role": "user" if m.role == "trainee" else "assistant", "content": text})
    return history


def build_trainee_tab(ctx: WebContext) -> gr.Tab:
    settings = ctx.agent.settings

    def respond(
        message: str,
        history: list[dict[str, Any]],
        session_id: str | None,
        focus: str,
        request: gr.Request,
    ) -> Iterator[tuple[list, str, str | None]]:
        history = list(history or [])
        key = request.session_hash or "api"
        try:
            user = ctx.user(request)
            require_role(user, "trainee")
            if key in ctx.streaming:
                raise InputError("A reply is still streaming; wait for it or press Stop.")
            if session_id:
                writable_session(ctx.store, ctx.accounts, user, session_id)
            text = clean_message(message, settings.max_message_chars)
            turn = ctx.agent.turn(
                text,
                session_id=session_id or None,
                focus=focus or "open",
                channel="web",
                user_id=user.id,
            )
        except CoachError as exc:  # bad input: say so, keep the box and the conversation
            gr.Warning(str(exc))
            yield history, message, session_id
            return
        ctx.streaming[key] = turn
        session_id = turn.session_id
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": ""}]
        shown = ""
        try:
            for piece in turn:
                shown = piece.text if isinstance(piece, Revision) else shown + piece
                history[-1]["content"] = shown
                yield history, "", session_id
        except CoachError as exc:
            history[-1]["content"] += f"\n\n*The reply failed and was saved as failed: {exc}*"
        finally:
            ctx.streaming.pop(key, None)
        result = turn.result
        if result and result.status == "interrupted":
            history[-1]["content"] += "\n\n*(You stopped this reply; the partial text is saved.)*"
        if result and result.guidance and result.guidance.revised:
            history[-1]["content"] += "\n\n*(Revised after the MI check.)*"
        if result and result.flags:
            history[-1]["content"] += "\n\n*This session is flagged for your supervisor to review.*"
        footer = sources_markdown(result)
        if footer:
            history[-1]["content"] += "\n\n" + footer
        yield history, "", session_id

    @shown_errors
    def stop(request: gr.Request) -> None:
        ctx.user(request)  # only this browser's own reply can be stopped, and only signed in
        turn = ctx.streaming.get(request.session_hash or "api")
        if turn:
            turn.stop()

    @shown_errors
    def new_session(request: gr.Request) -> tuple[list, None, str, str]:
        require_role(ctx.user(request), "trainee")
        return [], None, "", "New session: choose a focus and write your first message."

    @shown_errors
    def end_session(
        session_id: str | None, next_steps: str, history: list, request: gr.Request
    ) -> tuple[list, None, str, str]:
        user = ctx.user(request)
        if not session_id:
            raise InputError("There is no session to end yet; send a message first.")
        writable_session(ctx.store, ctx.accounts, user, session_id)
        try:
            steps = clean_message(next_steps, 2000)
        except InputError:
            raise InputError("Write your own next steps before ending the session.") from None
        summary = ctx.agent.closing_summary(session_id)
        ctx.store.end_session(session_id, summary, steps)
        history = [
            *list(history or []),
            {"role": "assistant", "content": f"**Closing summary**\n\n{summary}"},
            {"role": "user", "content": f"**My next steps**\n\n{steps}"},
        ]
        return history, None, "", f"Session {session_id} ended and saved."

    @shown_errors
    def my_sessions(request: gr.Request) -> list[list[Any]]:
        user = ctx.user(request)
        require_role(user, "trainee")
        return [
            [
                s.id,
                s.created_at.strftime("%Y-%m-%d %H:%M"),
                s.focus,
                s.messages,
                "ended" if s.ended_at else "open",
            ]
            for s in ctx.store.sessions(user_ids=[user.id], kind="supervision")
        ]

    @shown_errors
    def open_session(session_id: str, request: gr.Request) -> tuple[list, str | None, str, str]:
        user = ctx.user(request)
        require_role(user, "trainee")
        info = readable_session(ctx.store, ctx.accounts, user, (session_id or "").strip())
        if info.kind != "supervision":
            raise InputError("That is a practice; open it in the Practice tab.")
        history = chat_history(ctx, info.id)
        if info.ended_at:
            if info.summary:
                history.append(
                    {"role": "assistant", "content": f"**Closing summary**\n\n{info.summary}"}
                )
            return history, None, info.focus, f"Session {info.id} has ended (read only)."
        return history, info.id, info.focus, f"Reopened session {info.id}."

    @shown_errors
    def open_clicked(evt: gr.SelectData, request: gr.Request) -> tuple:
        row = evt.row_value or []
        if not row or not row[0]:
            raise InputError("That row holds no session.")
        return open_session.__wrapped__(str(row[0]), request)

    with gr.Tab("Supervision", id="supervision", visible=False) as tab:
        session = gr.State(None)
        with gr.Row():
            focus = gr.Dropdown(FOCUS_CHOICES, value="open", label="Session focus", scale=3)
            new = gr.Button("New session", scale=1)
        status = gr.Markdown("")
        chatbot = gr.Chatbot(label="Supervision", height=460, sanitize_html=True)
        box = gr.Textbox(
            placeholder="What would you like to bring to supervision today?",
            label="Your message",
            lines=2,
        )
        with gr.Row():
            send = gr.Button("Send", variant="primary")
            stop_button = gr.Button("Stop reply", variant="stop")
        with gr.Accordion("End this session", open=False):
            steps = gr.Textbox(label="My next steps (in my own words)", lines=2)
            end = gr.Button("End session")
        with gr.Accordion("My past sessions", open=False):
            refresh = gr.Button("Show my sessions")
            gr.Markdown("Click a session to reopen it.")
            table = gr.Dataframe(headers=SESSION_COLUMNS, interactive=False)
            # For API clients: reopen by id (the handler checks ownership either way).
            reopen_id = gr.Textbox(visible=False)
            reopen = gr.Button("Reopen", visible=False)

        chat_io = ([box, chatbot, session, focus], [chatbot, box, session])
        # Several replies may run at once (the embedded model takes them in turn), so a
        # second send from the same browser reaches `respond` and is refused, not queued.
        send.click(respond, *chat_io, api_name="chat", concurrency_limit=4)
        box.submit(respond, *chat_io, api_name=False, concurrency_limit=4)
        stop_button.click(stop, None, None, api_name="stop", concurrency_limit=None)
        new.click(new_session, None, [chatbot, session, steps, status], api_name=False)
        end.click(
            end_session,
            [session, steps, chatbot],
            [chatbot, session, steps, status],
            api_name="end_session",
        )
        refresh.click(my_sessions, None, table, api_name="my_sessions")
        reopened = [chatbot, session, focus, status]
        reopen.click(open_session, reopen_id, reopened, api_name="open_session")
        table.select(open_clicked, None, reopened, api_name=False)
    return tab
