"""Coherence checks, independent of the MI coder: does a reply read as this supervisor
speaking to this trainee about what they just said?

- ``role``: speaks to the trainee as "you"; never as the trainee or the client, never with
  speaker labels, never about "the trainee";
- ``copying``: no run of COPY_RUN words from the prompt's examples or retrieved passages
  (runs the trainee's message holds too are the trainee's own words, reflected);
- ``repetition``: no run of REPEAT_RUN words shared with an earlier reply in the session;
- ``relevance``: the reply depends on this message (``coach.supervisor.coherence.relevance``);
- ``faithfulness`` (measured, not a gate): every statement stays close in meaning to something
  the trainee said (``coach.supervisor.coherence.faithfulness``). It catches little (some
  grand filler, no invented facts) and rejects some good complex reflections, so guidance
  does not use it and suites ask for it by name.

Guidance applies them to every candidate, so a failing one is never shown; the eval harness
reports each per reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coach.llm.templates import load_prompt_file
from coach.supervisor.coherence.faithfulness import faithfulness
from coach.supervisor.coherence.overlap import RunIndex
from coach.supervisor.coherence.relevance import Relevance
from coach.supervisor.coherence.role import role_problems

COPY_RUN = 8
REPEAT_RUN = 6
GATES = ("role", "copying", "repetition", "relevance")  # what a reply must pass to be shown


class CoherenceFile(BaseModel):
    """``prompts/coherence.yaml``: the relevance anchors and the calibrated threshold."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    relevance_threshold: float
    faithfulness_threshold: float
    anchors: list[str] = Field(min_length=8)


@dataclass
class Coherence:
    """Each check's verdict for one reply; a reason for each failure."""

    role: list[str] = field(default_factory=list)
    copied: str | None = None  # the first copied run, as words
    repeated: str | None = None
    relevance: float | None = None
    relevance_threshold: float = 0.0
    faithfulness: float | None = None
    faithfulness_threshold: float = 0.0

    @property
    def failures(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.role:
            out["role"] = "; ".join(self.role)
        if self.copied:
            out["copying"] = f"copies '{self.copied}'"
        if self.repeated:
            out["repetition"] = f"repeats '{self.repeated}'"
        if self.relevance is not None and self.relevance < self.relevance_threshold:
            out["relevance"] = (
                f"relevance {self.relevance:.3f} below {self.relevance_threshold:.3f}"
            )
        if self.faithfulness is not None and self.faithfulness < self.faithfulness_threshold:
            out["faithfulness"] = (
                f"a statement strays from what was said (match "
                f"{self.faithfulness:.3f} below "
                f"{self.faithfulness_threshold:.3f})"
            )
        return out

    @property
    def blocking(self) -> dict[str, str]:
        """The failures that keep a reply from being shown (GATES)."""
        return {k: v for k, v in self.failures.items() if k in GATES}

    @property
    def passed(self) -> bool:
        return not self.blocking


class CoherenceChecker:
    """Built once per process; ``sources`` are the texts a reply must never copy (the
    trainee side and replies of every prompt example and exemplar)."""

    def __init__(self, config: CoherenceFile, sources: Sequence[str]) -> None:
        from coach.knowledge.embeddings import get_embeddings

        self.threshold = config.relevance_threshold
        self.faithfulness_threshold = config.faithfulness_threshold
        self.sources = RunIndex(sources, COPY_RUN)
        self.relevance = Relevance(get_embeddings(), config.anchors)

    def check(
        self,
        message: str,
        replies: Sequence[str],
        earlier: Sequence[str] = (),
        passages: Sequence[str] = (),
    ) -> list[Coherence]:
        """Every check for each reply to ``message``; ``earlier`` are the session's replies
        so far, ``passages`` the texts retrieved for this turn."""
        retrieved = RunIndex(passages, COPY_RUN)
        repeats = RunIndex(earlier, REPEAT_RUN)
        scores = self.relevance.scores(message, replies)
        embedder = self.relevance.embedder
        return [
            Coherence(
                role=role_problems(r),
                copied=self._copied(r, retrieved, message),
                repeated=repeats.shared(r),
                relevance=s,
                relevance_threshold=self.threshold,
                faithfulness=faithfulness(embedder, message, r),
                faithfulness_threshold=self.faithfulness_threshold,
            )
            for r, s in zip(replies, scores, strict=True)
        ]

    def sentence_problems(
        self,
        sentence: str,
        earlier: Sequence[str] = (),
        passages: Sequence[str] = (),
        message: str = "",
    ) -> list[str]:
        """The checks a single streamed sentence can fail on its own: role (but not the
        second person, which another sentence may carry), copying and repetition."""
        problems = [p for p in role_problems(sentence) if "'you'" not in p]
        if self._copied(sentence, RunIndex(passages, COPY_RUN), message):
            problems.append("copying")
        if RunIndex(earlier, REPEAT_RUN).shared(sentence):
            problems.append("repetition")
        return problems

    def _copied(self, text: str, retrieved: RunIndex, message: str) -> str | None:
        """The first run copied from the prompt's examples or this turn's passages."""
        return self.sources.shared(text, besides=message) or retrieved.shared(text, besides=message)


@lru_cache(maxsize=4)
def coherence_checker(prompts_dir: Path) -> CoherenceChecker:
    """One checker per prompts folder and process."""
    from coach.llm.templates import PromptTemplate
    from coach.supervisor.exemplars import ExemplarFile

    config = load_prompt_file(prompts_dir / "coherence.yaml", CoherenceFile)
    supervisor = load_prompt_file(prompts_dir / "supervisor.yaml", PromptTemplate)
    exemplars = load_prompt_file(prompts_dir / "exemplars.yaml", ExemplarFile)
    sources = [
        text
        for e in [*supervisor.examples, *exemplars.exemplars]
        for text in (e.trainee, e.supervisor)
    ]
    return CoherenceChecker(config, sources)


__all__ = ["GATES", "Coherence", "CoherenceChecker", "coherence_checker", "role_problems"]
