"""Does the reflection say only what the trainee said?

A small model's reflection can be fluent, second-person and on topic, and still invent a fact
("since his brother's death"), give the feeling to the wrong person, or dissolve into grand
filler. The product's measure (``faithfulness``): each statement of the reply (its sentences
that are not questions) is matched to the closest sentence of the message in meaning (MiniLM),
and the reply scores its weakest statement's match. Measured on written faithful and distorted
replies (``eval/coherence/faithfulness.py``), it removes some grand filler and little else: a
reversed meaning, an invented fact or a feeling given to the wrong person would need an
entailment model. ``lexical_faithfulness`` (content words found in the message) caught more
of one writer's distortions but rejected most of another writer's good paraphrases.
"""

from __future__ import annotations

import re

from coach.knowledge.embeddings import MiniLMEmbeddings

SENTENCE = re.compile(r"[^.!?]+[.!?]*")
# The supervisor's own offers and affirmations claim nothing about what was said.
NOT_A_CLAIM = re.compile(
    r"^(?:I\b|I'|let me\b|it took\b|that took\b|you showed\b|you put\b|"
    r"well done\b|good for you\b)",
    re.I,
)
WORD = re.compile(r"[a-z]{4,}")
STOP = set(
    """that this what with have your you're about there their they them then when would
could should really think feel feels feeling like just been being know also some more much
very into from were will want wants going sounds seems it's what's something someone""".split()
)


def statements(reply: str) -> list[str]:
    return [
        s.strip()
        for s in SENTENCE.findall(reply)
        if s.strip()
        and not s.strip().endswith("?")
        and len(s.split()) >= 3
        and not NOT_A_CLAIM.match(s.strip())
    ]


def message_parts(message: str) -> list[str]:
    parts = [s.strip() for s in SENTENCE.findall(message) if len(s.split()) >= 3]
    return [message, *parts]


def faithfulness(embedder: MiniLMEmbeddings, message: str, reply: str) -> float:
    """The weakest statement's best match to the message (1.0 when there is no statement:
    a question alone claims nothing)."""
    claims = statements(reply)
    if not claims:
        return 1.0
    parts = message_parts(message)
    vectors = embedder.encode([*parts, *claims])
    said, claimed = vectors[: len(parts)], vectors[len(parts) :]
    return round(float((claimed @ said.T).max(axis=1).min()), 4)


def content_words(text: str) -> set[str]:
    return {w[:5] for w in WORD.findall(text.lower()) if w not in STOP}


def lexical_faithfulness(message: str, reply: str) -> float:
    """Share of the statements' content words (by their first five letters) in the message."""
    mine = (
        set().union(*(content_words(s) for s in statements(reply))) if statements(reply) else set()
    )
    return len(mine & content_words(message)) / len(mine) if mine else 1.0
