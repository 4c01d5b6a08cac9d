"""Few-shot exemplars of good supervisor replies (``prompts/exemplars.yaml``), picked to fit
each trainee message: nearest in meaning by MiniLM embedding, with a nudge towards the
session's focus."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from coach.llm.templates import Example, load_prompt_file

FOCUS_BONUS = 0.05  # cosine similarity added to exemplars written for the session's focus
Focus = Literal["client", "skills", "selfcare", "open"]


class Exemplar(Example):
    """A few-shot exchange written for one session focus."""

    focus: Focus


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    exemplars: list[Exemplar] = Field(min_length=1)


class ExemplarPicker:
    """Embeds every exemplar's trainee message once, then picks per message."""

    def __init__(self, path: Path) -> None:
        from coach.knowledge.embeddings import get_embeddings

        data = load_prompt_file(path, ExemplarFile)
        self.exemplars = data.exemplars
        self.embedder = get_embeddings()
        self.vectors = self.embedder.encode([e.trainee for e in self.exemplars])

    def pick(self, message: str, focus: str, k: int) -> list[Exemplar]:
        """The ``k`` exemplars closest to ``message``, least similar first, so the closest
        one sits right before the real message in the prompt."""
        if k <= 0:
            return []
        query = self.embedder.encode([message])[0]
        scores = self.vectors @ query + np.array(
            [FOCUS_BONUS if e.focus == focus else 0.0 for e in self.exemplars]
        )
        best = np.argsort(-scores)[:k]
        return [self.exemplars[i] for i in reversed(best)]


@lru_cache(maxsize=4)
def exemplar_picker(path: Path) -> ExemplarPicker:
    """One picker per file and process: the eval harness builds a supervisor per case."""
    return ExemplarPicker(path)
