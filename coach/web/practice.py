"""The trainee's Practice tab: choose a simulated client, talk with them as the therapist,
see each utterance's MITI codes and the running counts, end for the supervisor's debrief, and
reopen past practices. Every handler checks that a trainee is signed in and owns the practice.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from coach.errors import InputError
from coach.practice.personas import load_personas
from coach.practice.session import Practice
from coach.storage.access import readable_session, require_role, writable_session
from coach.storage.store import HINT_ROLE
from coach.web.context import WebContext, shown_errors

PAST_COLUMNS = ["practice", "client", "started", "turns", "status"]


def build_practice_tab(ctx: WebContext) -> gr.Tab:
    settings = ctx.agent.settings
    personas = load_personas(settings.prompts_dir)
    choices = [(f"{p.name}: {p.summary}", p.id) for p in personas.values()]

    def trainee(request: gr.Request):
        user = ctx.user(request)
        require_role(user, "trainee")
        return user

    def live(session_id: str | None, request: gr.Request) -> Practice:
        user = trainee(request)
        if not session_id:
            raise InputError("Start a practice first: choose a client and press Start.")
        writable_session(ctx.store, ctx.accounts, user, session_id, kind="practice")
        practice = ctx.practices.get(session_id)
        if practice is None:
            raise InputError("This practice is no longer running; start a new one.")
        return practice

    @shown_errors
    def start(persona: str, request: gr.Request) -> tuple[list, str, str, str]:
        user = trainee(request)
        if persona not in personas:
            raise InputError("Choose one of the clients in the list.")
        practice = Practice(settings, persona, store=ctx.store, user_id=user.id, channel="web")
        ctx.practices[practice.session_id] = practice
        name = practice.persona.name
        history = [{"role": "assistant", "content": practice.opening}]
        return (
            history,
            practice.session_id,
            f"Practising with **{name}**. You are the therapist.",
            "",
        )

    @shown_errors
    def say(
        message: str, history: list, session_id: str | None, request: gr.Request
    ) -> tuple[list, str, str, str, str]:
        practice = live(session_id, request)
        turn = practice.turn(message)
        codes = ", ".join(c.value for c in turn.codes.miti_codes) or "no MITI code"
        history = [
            *list(history or []),
            {"role": "user", "content": turn.trainee},
            {"role": "assistant", "content": turn.client.text},
        ]
        feedback = f"**Your last utterance:** {codes}\n\n" + "\n".join(
            f"- {line}" for line in practice.feedback()
        )
        state = " · ".join(f"{k} {v:.2f}" for k, v in turn.state.as_dict().items())
        return history, "", feedback, f"{state} · last act: {turn.client.act}", ""

    @shown_errors
    def ask_hint(session_id: str | None, request: gr.Request) -> str:
        return f"**Supervisor:** {live(session_id, request).hint()}"

    @shown_errors
    def end(history: list, session_id: str | None, request: gr.Request) -> tuple[list, None, str]:
        practice = live(session_id, request)
        if not practice.turns:
            raise InputError("Say something to the client before ending the practice.")
        text = practice.end()
        ctx.practices.pop(session_id, None)
        history = [*list(history or []), {"role": "assistant", "content": f"**Debrief**\n\n{text}"}]
        return history, None, "Practice ended and saved; your supervisor can review it."

    @shown_errors
    def past(request: gr.Request) -> list[list[Any]]:
        user = trainee(request)
        return [
            [
                s.id,
                s.persona,
                s.created_at.strftime("%Y-%m-%d %H:%M"),
                (s.messages - 1) // 2,
                "ended" if s.ended_at else "open",
            ]
            for s in ctx.store.sessions(user_ids=[user.id], kind="practice")
        ]

    @shown_errors
    def reopen(evt: gr.SelectData, request: gr.Request) -> tuple[list, str | None, str]:
        user = trainee(request)
        row = evt.row_value or []
        info = readable_session(ctx.store, ctx.accounts, user, str(row[0]) if row else "")
        if info.kind != "practice":
            raise InputError("That is not a practice.")
        history = [
            {
                "role": "user" if m.role == "trainee" else "assistant",
                "content": f"**Supervisor's hint:** {m.content}"
                if m.role == HINT_ROLE
                else m.content,
            }
            for m in ctx.store.messages(info.id)
        ]
        if info.summary:
            history.append({"role": "assistant", "content": f"**Debrief**\n\n{info.summary}"})
        running = info.id if info.id in ctx.practices and not info.ended_at else None
        status = "Continuing this practice." if running else "This practice is read only."
        return history, running, status

    with gr.Tab("Practice", id="practice", visible=False) as tab:
        session = gr.State(None)
        with gr.Row():
            persona = gr.Dropdown(choices, label="Simulated client", scale=3)
            start_button = gr.Button("Start practice", scale=1)
        status = gr.Markdown("")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Practice (you are the therapist)", height=420)
                box = gr.Textbox(label="You, as the therapist", lines=2)
                with gr.Row():
                    send = gr.Button("Say it", variant="primary")
                    hint_button = gr.Button("Hint")
                    end_button = gr.Button("End and debrief")
                hint_text = gr.Markdown("")
            with gr.Column(scale=2):
                feedback = gr.Markdown("MITI feedback appears after each utterance.")
                with gr.Accordion("The client's hidden state", open=False):
                    state = gr.Markdown("")
        with gr.Accordion("My past practices", open=False):
            refresh = gr.Button("Show my practices")
            gr.Markdown("Click a practice to reopen it.")
            table = gr.Dataframe(headers=PAST_COLUMNS, interactive=False)

        start_button.click(
            start, persona, [chat, session, status, feedback], api_name="practice_start"
        )
        said = [chat, box, feedback, state, hint_text]
        send.click(say, [box, chat, session], said, api_name="practice_say")
        box.submit(say, [box, chat, session], said, api_name=False)
        hint_button.click(ask_hint, session, hint_text, api_name="practice_hint")
        end_button.click(end, [chat, session], [chat, session, status], api_name="practice_end")
        refresh.click(past, None, table, api_name="practices")
        table.select(reopen, None, [chat, session, status], api_name=False)
    return tab
