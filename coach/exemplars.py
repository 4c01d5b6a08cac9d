"""Few-shot exemplars of good supervisor replies (``prompts/exemplars.yaml``), picked to fit
each trainee message: nearest in meaning by MiniLM embedding, with a nudge towards the
session's focus."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coach.errors import ConfigError, first_problem

FOCUS_BONUS = 0.05  # cosine similarity added to exemplars written for the session's focus


class Exemplar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    focus: Literal["client", "skills", "selfcare", "open"]
    trainee: str = Field(min_length=1)
    supervisor: str = Field(min_length=1)


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    exemplars: list[Exemplar] = Field(min_length=1)
    questions: dict[Literal["client", "skills", "selfcare", "open"], list[str]]

    @model_validator(mode="after")
    def _questions_for_every_focus(self) -> ExemplarFile:
        missing = [f for f in ("client", "skills", "selfcare", "open")
                   if not self.questions.get(f)]
        if missing:
            raise ValueError(f"questions lacks {', '.join(missing)}")
        return self


class ExemplarPicker:
    """Embeds every exemplar's trainee message once, then picks per message."""

    def __init__(self, path: Path) -> None:
        from coach.embeddings import get_embeddings

        try:
            data = ExemplarFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise ConfigError(f"The prompt file {path} does not exist.") from exc
        except ValidationError as exc:
            where, problem = first_problem(exc, "the file")
            raise ConfigError(f"The prompt file {path} is invalid at {where}: "
                              f"{problem}.") from exc
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise ConfigError(f"The prompt file {path} is invalid: {first}") from exc
        self.exemplars = data.exemplars
        self.questions = data.questions
        self.embedder = get_embeddings()
        self.vectors = self.embedder.encode([e.trainee for e in self.exemplars])

    def pick(self, message: str, focus: str, k: int) -> list[Exemplar]:
        """The ``k`` exemplars closest to ``message``, least similar first, so the closest
        one sits right before the real message in the prompt."""
        if k <= 0:
            return []
        query = self.embedder.encode([message])[0]
        scores = self.vectors @ query + np.array(
            [FOCUS_BONUS if e.focus == focus else 0.0 for e in self.exemplars])
        best = np.argsort(-scores)[:k]
        return [self.exemplars[i] for i in reversed(best)]

    def question(self, message: str, focus: str) -> str:
        """The focus's open question closest in meaning to ``message``."""
        options = self.questions.get(focus) or self.questions["open"]
        vectors = self.embedder.encode([message, *options])
        return options[int(np.argmax(vectors[1:] @ vectors[0]))]
