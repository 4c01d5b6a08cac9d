"""Prompts as data: YAML files in ``prompts/``, validated by pydantic, rendered with Jinja2."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from coach.errors import ConfigError, first_problem

M = TypeVar("M", bound=BaseModel)
_jinja = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


class Example(BaseModel):
    """A few-shot exchange: what a trainee said and a good supervisor reply."""

    model_config = ConfigDict(extra="forbid")

    trainee: str = Field(min_length=1)
    supervisor: str = Field(min_length=1)


class PromptTemplate(BaseModel):
    """One prompt file. ``system`` and ``user`` are Jinja2 templates."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    system: str = Field(min_length=20)
    examples: list[Example] = []
    user: str | None = None

    def render(self, part: str, **values: object) -> str:
        source = getattr(self, part)
        if source is None:
            raise ConfigError(f"The prompt '{self.name}' has no '{part}' part.")
        return _jinja.from_string(source).render(**values).strip()


def _one_open_question(value: str) -> str:
    value = value.strip()
    if not re.match(r"^(What|How|Which|Where|When|Who)\b.*\?$", value):
        raise ValueError("must be one open question (What/How/Which/Where/When/Who ... ?)")
    return value


# A written open question in a prompt file (offers, the floor's situated questions).
OpenQuestion = Annotated[str, AfterValidator(_one_open_question)]


def render(source: str, **values: object) -> str:
    """A Jinja2 template string from a prompt file, rendered strictly."""
    return _jinja.from_string(source).render(**values).strip()


def load_prompt_file(path: Path, model: type[M]) -> M:
    """A YAML file in ``prompts/`` validated as ``model``; any problem is one sentence."""
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ConfigError(f"The prompt file {path} does not exist.") from exc
    except ValidationError as exc:
        where, problem = first_problem(exc, "top level")
        raise ConfigError(f"The prompt file {path} is invalid ({where}): {problem}.") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ConfigError(f"The prompt file {path} is invalid: {first}") from exc


def load_template(path: Path) -> PromptTemplate:
    template = load_prompt_file(path, PromptTemplate)
    for part in ("system", "user"):
        try:
            if getattr(template, part):
                _jinja.parse(getattr(template, part))
        except TemplateSyntaxError as exc:
            raise ConfigError(f"The prompt file {path} is invalid: {part}: {exc}") from exc
    return template


@lru_cache(maxsize=8)
def prompt_version(folder: Path) -> str:
    """A hash over every prompt file, so each reply records exactly what prompted it."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.yaml")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
