"""The web UI: a Gradio chat with the supervisor, streaming replies with their sources."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from coach.agent import Supervisor, TurnResult, clean_message
from coach.errors import CoachError
from coach.settings import Settings

INTRO = (
    "Talk with an AI clinical supervisor who models Motivational Interviewing. Bring a "
    "client's integration work, your MI skills, or how you are looking after yourself. "
    "This is a training tool: it never treats clients, and it gives no dosing, sourcing or "
    "legal advice."
)


def sources_markdown(result: TurnResult | None) -> str:
    if not result or not result.sources:
        return ""
    lines = [f"- **{html.escape(s['title'])}** (`{s['id']}`, score {s['score']:.2f})"
             for s in result.source_list()]
    return "<details><summary>Sources</summary>\n\n" + "\n".join(lines) + "\n\n</details>"


def build_app(agent: Supervisor) -> gr.Blocks:
    """A minimal chat: one supervision session per browser tab, saved to the database."""

    def respond(message: str, history: list[dict[str, Any]],
                session_id: str | None) -> Iterator[tuple[list, str, str | None]]:
        history = list(history or [])
        try:
            message = clean_message(message, agent.settings.max_message_chars)
            turn = agent.turn(message, session_id=session_id, channel="web")
            session_id = turn.session_id
        except CoachError as exc:  # bad input: say so and keep the conversation as it was
            gr.Warning(str(exc))
            yield history, message, session_id
            return
        history += [{"role": "user", "content": message},
                    {"role": "assistant", "content": ""}]
        try:
            for text in turn:
                history[-1]["content"] += text
                yield history, "", session_id
        except CoachError as exc:
            history[-1]["content"] += f"\n\n*The reply failed: {exc}*"
            yield history, "", session_id
            return
        footer = sources_markdown(turn.result)
        if footer:
            history[-1]["content"] += "\n\n" + footer
        yield history, "", session_id

    with gr.Blocks(title="MIE-IS Coach") as app:
        gr.Markdown("# MIE-IS Coach\n" + INTRO)
        session = gr.State(None)
        chatbot = gr.Chatbot(label="Supervision", height=480, sanitize_html=True)
        box = gr.Textbox(placeholder="What would you like to bring to supervision today?",
                         label="Your message", lines=2, max_length=agent.settings.max_message_chars)
        send = gr.Button("Send", variant="primary")
        box.submit(respond, [box, chatbot, session], [chatbot, box, session],
                   concurrency_limit=1, api_name=False)
        send.click(respond, [box, chatbot, session], [chatbot, box, session],
                   concurrency_limit=1, api_name="chat")
    return app


def serve(settings: Settings) -> None:
    agent = Supervisor.open(settings)
    print(f"MIE-IS Coach on http://{settings.host}:{settings.port} "
          f"(backend {settings.llm_backend}, model {settings.model})", flush=True)
    build_app(agent).queue().launch(
        server_name=settings.host, server_port=settings.port, show_error=False,
    )
