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


def situation(trainee_codes: Sequence[UtteranceCodes], client_talk: str) -> str:
    """Which hint fits: repair after pushing, double-sided after sustain talk or discord, open
    after two closed questions, evoke after change talk, else reflect."""
    recent = list(trainee_codes)
    if recent and {Miti.CONFRONT, Miti.PERSUADE} & set(recent[-1].miti_codes):
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
    kind = situation(trainee_codes, client_talk)
    body = render(texts[kind], first_name=first_name, example=example(kind, client_line))
    return f"{texts['permission']} {body.strip()} {texts['close']}"
