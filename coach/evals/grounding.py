"""Is a reply grounded? Lexical overlap with the retrieved passages by default; an LLM judge
(``prompts/grounding_judge.yaml``) when one is configured."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from coach.evals.records import SourceRecord
from coach.retriever import words
from coach.settings import Settings

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
    return [s.strip() for s in SENTENCE.findall(reply)
            if not s.strip().endswith("?") and len(words(s)) >= CLAIM_MIN_WORDS]


def lexical_support(reply: str, sources: list[SourceRecord], said: list[str]) -> Support:
    """A claim is supported when most of its content words appear in the retrieved passages
    or in what the trainee said (a reflection is grounded in the trainee's words)."""
    trainee_words = set(words(" ".join(said)))
    reply_words = set(words(reply))
    passage_words = {s.doc_id: set(words(f"{s.title} {s.heading} {s.text}")) for s in sources}
    cited = [doc for doc, found in passage_words.items()
             if len((reply_words & found) - trainee_words) >= CITE_MIN_WORDS]
    evidence = trainee_words.union(*passage_words.values())
    found_claims = claims(reply)
    unsupported = [c for c in found_claims
                   if len(set(words(c)) & evidence) / len(set(words(c))) < CLAIM_COVERAGE]
    return Support(cited=list(dict.fromkeys(cited)), claims=len(found_claims),
                   unsupported=unsupported)


class Claim(BaseModel):
    claim: str
    supported: bool


class GroundingVerdict(BaseModel):
    claims: list[Claim]


class GroundingJudge:
    """An LLM lists the reply's claims and whether the evidence supports each."""

    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None) -> None:
        from coach.models import get_chat_model
        from coach.templates import load_template

        self.settings = settings
        self.template = load_template(settings.prompts_dir / "grounding_judge.yaml")
        self.model = chat_model or get_chat_model(settings)

    def support(self, reply: str, sources: list[SourceRecord], said: list[str]) -> Support:
        from coach.models import invoke_json

        cited = lexical_support(reply, sources, said).cited
        messages = [SystemMessage(self.template.render("system")), HumanMessage(
            self.template.render("user", sources=sources, trainee=said[-1] if said else "",
                                 reply=reply))]
        verdict = invoke_json(self.model, messages, GroundingVerdict, self.settings,
                              max_tokens=300, what="grounding verdicts")
        return Support(cited=cited, claims=len(verdict.claims),
                       unsupported=[c.claim for c in verdict.claims if not c.supported])
