"""Is a reply grounded? Lexical overlap with the retrieved passages: cheap enough to score
every candidate reply, and the eval harness's default grounding check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from coach.knowledge.retriever import words


class Evidence(Protocol):
    """A retrieved passage: the agent's ``Passage`` and the eval harness's records fit."""

    doc_id: str
    title: str
    heading: str
    text: str


SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
CLAIM_MIN_WORDS = 4  # shorter sentences ("That sounds hard.") make no checkable claim
CLAIM_COVERAGE = 0.5  # share of a claim's content words found in the evidence
CITE_MIN_WORDS = 2  # words a reply must share with a passage (beyond the trainee's) to use it


@dataclass
class Support:
    cited: list[str]  # documents the reply draws on
    claims: int
    unsupported: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return 1.0 if not self.claims else (self.claims - len(self.unsupported)) / self.claims


def claims(reply: str) -> list[str]:
    """Declarative sentences long enough to assert something; questions claim nothing."""
    return [
        s.strip()
        for s in SENTENCE.findall(reply)
        if not s.strip().endswith("?") and len(words(s)) >= CLAIM_MIN_WORDS
    ]


def lexical_support(reply: str, sources: Sequence[Evidence], said: list[str]) -> Support:
    """A claim is supported when most of its content words appear in the retrieved passages
    or in what the trainee said (a reflection is grounded in the trainee's words)."""
    trainee_words = set(words(" ".join(said)))
    reply_words = set(words(reply))
    passage_words = {s.doc_id: set(words(f"{s.title} {s.heading} {s.text}")) for s in sources}
    cited = [
        doc
        for doc, found in passage_words.items()
        if len((reply_words & found) - trainee_words) >= CITE_MIN_WORDS
    ]
    evidence = trainee_words.union(*passage_words.values())
    found_claims = claims(reply)
    unsupported = [
        c
        for c in found_claims
        if len(set(words(c)) & evidence) / len(set(words(c))) < CLAIM_COVERAGE
    ]
    return Support(
        cited=list(dict.fromkeys(cited)), claims=len(found_claims), unsupported=unsupported
    )
