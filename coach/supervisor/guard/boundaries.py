"""The boundary replies: what the supervisor says instead of a model draft when the guard
raises a category (``prompts/boundaries.yaml``)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, StrictUndefined
from jinja2.exceptions import UndefinedError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.llm.templates import load_prompt_file
from coach.settings import Settings
from coach.supervisor.guard.categories import CATEGORIES, Category, priority

_jinja = Environment(undefined=StrictUndefined, autoescape=False)
CONTACT_NAMES = ("resources", "emergency", "legal_contact")


class Boundaries(BaseModel):
    """One reply per category, plus the fallback used when every draft reply was unsafe. Each
    is a Jinja2 template over the contacts in CONTACT_NAMES."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    replies: dict[Category, str]
    fallback: str = Field(min_length=20)

    @model_validator(mode="after")
    def _every_category_renders(self) -> Boundaries:
        missing = [c for c in CATEGORIES if c not in self.replies]
        if missing:
            raise ValueError(f"replies lacks {', '.join(missing)}")
        for name, source in [*self.replies.items(), ("fallback", self.fallback)]:
            try:
                _jinja.from_string(source).render(**dict.fromkeys(CONTACT_NAMES, "x"))
            except UndefinedError as exc:
                raise ValueError(
                    f"the {name} reply uses an unknown name ({exc.message}); "
                    f"use {', '.join(CONTACT_NAMES)}"
                ) from None
        return self


def load_boundaries(path: Path) -> Boundaries:
    return load_prompt_file(path, Boundaries)


def contacts(settings: Settings) -> dict[str, str]:
    return {
        "resources": settings.crisis_resources,
        "emergency": settings.emergency_contact,
        "legal_contact": settings.legal_contact,
    }


def boundary_reply(boundaries: Boundaries, categories: list[str], settings: Settings) -> str:
    """The reply for the most urgent of ``categories``; the fallback when there is none."""
    ranked = sorted(categories, key=priority)
    source = boundaries.replies[ranked[0]] if ranked else boundaries.fallback  # type: ignore[index]
    return " ".join(_jinja.from_string(source).render(**contacts(settings)).split())
