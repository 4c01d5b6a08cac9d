"""The coder's vocabulary: MITI 4.2.1 behaviour codes, AnnoMI labels, and result records."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

Speaker = Literal["therapist", "client"]
Behaviour = Literal["reflection", "question", "therapist_input", "other"]
TalkType = Literal["change", "neutral", "sustain"]
BEHAVIOURS: tuple[Behaviour, ...] = ("reflection", "question", "therapist_input", "other")
TALK_TYPES: tuple[TalkType, ...] = ("change", "neutral", "sustain")


class Miti(StrEnum):
    """MITI 4.2.1 counsellor behaviour codes."""

    GIVING_INFORMATION = "Giving Information"
    PERSUADE = "Persuade"
    PERSUADE_WITH_PERMISSION = "Persuade with Permission"
    QUESTION = "Question"
    SIMPLE_REFLECTION = "Simple Reflection"
    COMPLEX_REFLECTION = "Complex Reflection"
    AFFIRM = "Affirm"
    SEEKING_COLLABORATION = "Seeking Collaboration"
    EMPHASIZING_AUTONOMY = "Emphasizing Autonomy"
    CONFRONT = "Confront"


MI_ADHERENT = (Miti.AFFIRM, Miti.SEEKING_COLLABORATION, Miti.EMPHASIZING_AUTONOMY)
MI_NON_ADHERENT = (Miti.CONFRONT, Miti.PERSUADE)
REFLECTIONS = (Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION)


class UtteranceCodes(BaseModel):
    """What one utterance contains. Counsellor fields are None on client rows and vice versa."""

    speaker: Speaker
    text: str
    behaviour: Behaviour | None = None
    miti_codes: list[Miti] = Field(default_factory=list)
    primary: Miti | None = None
    question_type: Literal["open", "closed"] | None = None
    reflection_type: Literal["simple", "complex"] | None = None
    talk_type: TalkType | None = None

    @property
    def mi_non_adherent(self) -> bool:
        return any(code in MI_NON_ADHERENT for code in self.miti_codes)
