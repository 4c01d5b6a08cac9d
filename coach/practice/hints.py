"""The supervisor's hint during a practice: one MI-style suggestion for the trainee's next move,
offered with permission and ending with the trainee's own choice.

Chosen by rule from what just happened (the trainee's last codes, the client's last talk, a run
of closed questions) and illustrated with a reflection built from the client's own words, so it
is about this conversation and right by construction.
"""

from __future__ import annotations

from collections.abc import Sequence

from coach.coder.codes import Miti, UtteranceCodes
from coach.llm.templates import render
from coach.supervisor.floor import said_back


def situation(
    last_codes: UtteranceCodes | None, client_talk: str, recent: Sequence[UtteranceCodes]
) -> str:
    """Which hint fits: repair after pushing, double-sided after sustain talk or discord, evoke
    after change talk, open after closed questions, else reflect."""
    if last_codes is not None and {Miti.CONFRONT, Miti.PERSUADE} & set(last_codes.miti_codes):
        return "repair"
    if client_talk in {"sustain", "discord"}:
        return "double_sided"
    if len(recent) >= 2 and all(c.question_type == "closed" for c in recent[-2:]):
        return "open"
    if client_talk == "change":
        return "evoke"
    return "reflect"


def example(kind: str, client_line: str) -> str:
    said = said_back(client_line)
    if kind == "double_sided":
        return f"Part of you feels {said}, and part of you still wants something to change."
    if kind == "evoke":
        return f"It sounds like {said}. What makes that important to you?"
    if kind == "open":
        return f"It sounds like {said}. What was that like for you?"
    return f"It sounds like {said}."


def hint(
    texts: dict[str, str],
    first_name: str,
    client_line: str,
    client_talk: str,
    trainee_codes: Sequence[UtteranceCodes],
) -> str:
    last = trainee_codes[-1] if trainee_codes else None
    kind = situation(last, client_talk, trainee_codes)
    body = render(texts[kind], first_name=first_name, example=example(kind, client_line))
    return f"{texts['permission']} {body.strip()} {texts['close']}"
