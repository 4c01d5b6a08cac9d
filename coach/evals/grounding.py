"""The LLM grounding judge (``prompts/grounding_judge.yaml``), for when a capable model is
configured; the lexical check it falls back on lives in ``coach.knowledge.grounding``."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from coach.evals.records import SourceRecord
from coach.knowledge.grounding import Support, lexical_support
from coach.settings import Settings


class Claim(BaseModel):
    claim: str
    supported: bool


class GroundingVerdict(BaseModel):
    claims: list[Claim]


class GroundingJudge:
    """An LLM lists the reply's claims and whether the evidence supports each."""

    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None) -> None:
        from coach.llm.backends import get_chat_model
        from coach.llm.templates import load_template

        self.settings = settings
        self.template = load_template(settings.prompts_dir / "grounding_judge.yaml")
        self.model = chat_model or get_chat_model(settings)

    def support(self, reply: str, sources: list[SourceRecord], said: list[str]) -> Support:
        from coach.llm.backends import invoke_json

        cited = lexical_support(reply, sources, said).cited
        messages = [
            SystemMessage(self.template.render("system")),
            HumanMessage(
                self.template.render(
                    "user", sources=sources, trainee=said[-1] if said else "", reply=reply
                )
            ),
        ]
        verdict = invoke_json(
            self.model,
            messages,
            GroundingVerdict,
            self.settings,
            max_tokens=300,
            what="grounding verdicts",
        )
        return Support(
            cited=cited,
            claims=len(verdict.claims),
            unsupported=[c.claim for c in verdict.claims if not c.supported],
        )
