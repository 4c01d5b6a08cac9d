"""Simulated integration clients as data (``prompts/clients/*.yaml``), validated by pydantic."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.errors import ConfigError, InputError
from coach.llm.templates import load_prompt_file

Stage = Literal["precontemplation", "contemplation", "preparation", "action"]
Act = Literal["change", "sustain", "neutral", "discord", "elaboration"]
ACTS: tuple[Act, ...] = ("change", "sustain", "neutral", "discord", "elaboration")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Lines(Strict):
    """Written utterances per kind of client talk, each able to stand on its own: the
    client's verified floor when no generated reply passes its checks."""

    change: list[str] = Field(min_length=3)
    sustain: list[str] = Field(min_length=3)
    neutral: list[str] = Field(min_length=3)
    discord: list[str] = Field(min_length=3)
    elaboration: list[str] = Field(min_length=3)


class Persona(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2)
    summary: str = Field(min_length=10, max_length=120)
    substance: str
    setting: str
    background: str = Field(min_length=20)
    session: str = Field(min_length=20)
    change: str = Field(min_length=10)
    reasons_for: list[str] = Field(min_length=2)
    reasons_against: list[str] = Field(min_length=2)
    stage: Stage
    opening: str = Field(min_length=20)
    voice: str
    crisis: bool = False  # a persona escalates to a crisis only when written to
    lines: Lines


class PersonaFile(Strict):
    personas: list[Persona] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PersonaFile:
        ids = [p.id for p in self.personas]
        twice = next((i for i in ids if ids.count(i) > 1), None)
        if twice:
            raise ValueError(f"persona id '{twice}' appears twice")
        return self


@lru_cache(maxsize=4)
def load_personas(prompts_dir: Path) -> dict[str, Persona]:
    folder = prompts_dir / "clients"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ConfigError(f"No client personas were found in {folder}.")
    personas: dict[str, Persona] = {}
    for path in files:
        for persona in load_prompt_file(path, PersonaFile).personas:
            if persona.id in personas:
                raise ConfigError(f"The persona id '{persona.id}' appears twice in {folder}.")
            personas[persona.id] = persona
    return personas


def get_persona(prompts_dir: Path, persona_id: str) -> Persona:
    personas = load_personas(prompts_dir)
    if persona_id not in personas:
        raise InputError(
            f"There is no persona '{persona_id}'; `mie-coach practice --list` shows them."
        )
    return personas[persona_id]
