"""The LLM-judge backend: any configured chat model codes utterances against the MITI rubric
in ``prompts/miti_judge.yaml``. Replies are validated with pydantic and retried when malformed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from coach.coder.codes import Behaviour, Miti, TalkType, UtteranceCodes
from coach.coder.offline import primary_code
from coach.llm.backends import invoke_json
from coach.llm.templates import load_template
from coach.settings import Settings

JUDGE_MAX_TOKENS = 200  # a verdict is ~40 tokens; the rest is room for a verbose model


class CounsellorVerdict(BaseModel):
    codes: list[Miti]
    primary: Miti | None = None
    behaviour: Behaviour
    question_type: Literal["open", "closed"] | None = None
    reflection_type: Literal["simple", "complex"] | None = None


class ClientVerdict(BaseModel):
    talk_type: TalkType


class LLMCoder:
    """Codes each utterance with one judge call (plus retries when the JSON is malformed)."""

    def __init__(
        self, settings: Settings, chat_model: BaseChatModel | None = None, retries: int = 2
    ) -> None:
        from coach.llm.backends import get_chat_model

        self.settings = settings
        self.template = load_template(settings.prompts_dir / "miti_judge.yaml")
        self.model = chat_model or get_chat_model(settings)
        self.retries = retries

    def code(
        self, speakers: Sequence[str], texts: Sequence[str], starts: np.ndarray | None = None
    ) -> list[UtteranceCodes]:
        out = []
        for i, (speaker, text) in enumerate(zip(speakers, texts, strict=True)):
            first = i == 0 or (starts is not None and bool(starts[i]))
            previous, previous_speaker = ("", "none") if first else (texts[i - 1], speakers[i - 1])
            out.append(self.code_one(speaker, text, previous, previous_speaker))
        return out

    def code_one(
        self, speaker: str, text: str, previous: str = "", previous_speaker: str = "none"
    ) -> UtteranceCodes:
        schema = CounsellorVerdict if speaker == "therapist" else ClientVerdict
        messages = [
            SystemMessage(self.template.render("system")),
            HumanMessage(
                self.template.render(
                    "user",
                    speaker=speaker,
                    text=text,
                    previous=previous,
                    previous_speaker=previous_speaker,
                )
            ),
        ]
        verdict = invoke_json(
            self.model,
            messages,
            schema,
            self.settings,
            retries=self.retries,
            max_tokens=JUDGE_MAX_TOKENS,
            what="codes",
            about=f" for '{text[:40]}'",
        )
        return self._to_codes(speaker, text, verdict)

    @staticmethod
    def _to_codes(
        speaker: str, text: str, verdict: CounsellorVerdict | ClientVerdict
    ) -> UtteranceCodes:
        if isinstance(verdict, ClientVerdict):
            return UtteranceCodes(speaker="client", text=text, talk_type=verdict.talk_type)
        codes = list(dict.fromkeys(verdict.codes))
        reflection = next(
            (c for c in codes if c in (Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION)), None
        )
        return UtteranceCodes(
            speaker="therapist",
            text=text,
            behaviour=verdict.behaviour,
            miti_codes=codes,
            primary=verdict.primary
            if verdict.primary in codes
            else primary_code(verdict.behaviour, codes),
            question_type=(verdict.question_type or "closed") if Miti.QUESTION in codes else None,
            reflection_type=("complex" if reflection == Miti.COMPLEX_REFLECTION else "simple")
            if reflection
            else None,
        )
