"""How the guard cuts a message into the pieces it scores. Standard library only: the
training script (eval/safety/finetune_guard.py) loads this file in its own venv, so training
and the product cut messages the same way."""

from __future__ import annotations

import itertools
import re

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+|\n+|\s+[-–—]\s+|;\s+")
WINDOW_WORDS = 16  # run-on text (no punctuation, as typed on a phone) is read in windows
MAX_SEGMENTS = 24


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if len(s.split()) >= 2]


def segments(text: str) -> list[str]:
    """The whole message, its sentences, adjacent pairs of sentences (a risk can need its
    neighbour: "She texted me last night." "She said goodbye to her kids."), and overlapping
    word windows of any sentence longer than two windows. The whole comes first."""
    whole = " ".join(text.split())
    parts = sentences(text)
    pieces = [whole]
    if len(parts) > 1:
        pieces += parts
        pieces += [f"{a} {b}" for a, b in itertools.pairwise(parts)]
    for part in parts or [whole]:
        words = part.split()
        if len(words) > 2 * WINDOW_WORDS:
            step = WINDOW_WORDS // 2
            pieces += [
                " ".join(words[i : i + WINDOW_WORDS]) for i in range(0, len(words) - step, step)
            ]
    return list(dict.fromkeys(pieces))[:MAX_SEGMENTS]
