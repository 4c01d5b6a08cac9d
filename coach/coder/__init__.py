"""The MI coder: MITI 4.2.1 behaviour codes for counsellor utterances, change / sustain /
neutral talk for client utterances, and a session summary.

    >>> from coach.coder import code_conversation
    >>> result = code_conversation([("client", "I want to call my sister."),
    ...                             ("therapist", "Reconnecting with her matters to you.")])
    >>> result.utterances[1].miti_codes, result.summary.fidelity
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from coach.coder.codes import Miti, UtteranceCodes
from coach.coder.summary import SessionSummary, summarise
from coach.errors import InputError
from coach.settings import Settings

Backend = Literal["offline", "llm"]
# The supervision product's own roles map onto MI's: the supervisor is counsellor-side.
SPEAKER_ALIASES = {
    "therapist": "therapist",
    "counsellor": "therapist",
    "counselor": "therapist",
    "supervisor": "therapist",
    "client": "client",
    "trainee": "client",
}

__all__ = ["CodedConversation", "Miti", "UtteranceCodes", "code_conversation", "get_coder"]


class CodedConversation(BaseModel):
    utterances: list[UtteranceCodes]
    summary: SessionSummary


_coders: dict[str, object] = {}


def get_coder(
    backend: Backend = "offline", settings: Settings | None = None, trainee: bool = False
):
    """The coder for a backend; the offline ones are loaded once per process.

    ``trainee``: the offline coder with its trained head for the codes AnnoMI lacks
    (coach/coder/relational.py), for a trainee's own utterances in practice, where it was
    measured. Supervisor-side text (guidance's candidates, the guard's boundary replies) is
    coded without it: on those longer, multi-move replies it raised false Persuades."""
    if backend == "offline":
        key = "offline+trainee" if trainee else "offline"
        if key not in _coders:
            from coach.coder.offline import OfflineCoder

            _coders[key] = OfflineCoder(relational=trainee)
        return _coders[key]
    if backend == "llm":
        from coach.coder.llm import LLMCoder

        return LLMCoder(settings or Settings())
    raise InputError(f"Unknown coder backend '{backend}'; use offline or llm.")


def normalise_speaker(speaker: str) -> str:
    try:
        return SPEAKER_ALIASES[speaker.strip().lower()]
    except KeyError:
        raise InputError(f"Unknown speaker '{speaker}'; use therapist or client.") from None


def code_conversation(
    turns: Sequence[tuple[str, str]],
    backend: Backend = "offline",
    settings: Settings | None = None,
    trainee: bool = False,
) -> CodedConversation:
    """Code a conversation given as ``(speaker, text)`` pairs in order (``trainee``: the
    therapist side is a trainee practising; see get_coder)."""
    return code_many([turns], backend, settings, trainee)[0]


def code_many(
    conversations: Sequence[Sequence[tuple[str, str]]],
    backend: Backend = "offline",
    settings: Settings | None = None,
    trainee: bool = False,
) -> list[CodedConversation]:
    """Code several conversations in one batch (one embedding pass for all of them)."""
    speakers = [normalise_speaker(s) for turns in conversations for s, _ in turns]
    texts = [t for turns in conversations for _, t in turns]
    starts = np.zeros(len(texts), dtype=bool)
    offset = 0
    for turns in conversations:
        if turns:
            starts[offset] = True
        offset += len(turns)
    coded = get_coder(backend, settings, trainee).code(speakers, texts, starts) if texts else []
    out, offset = [], 0
    for turns in conversations:
        part = coded[offset : offset + len(turns)]
        out.append(CodedConversation(utterances=part, summary=summarise(part)))
        offset += len(turns)
    return out
