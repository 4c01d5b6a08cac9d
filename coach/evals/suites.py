"""Eval suites as data: YAML files in ``eval/suites/``, validated by pydantic.

A malformed suite fails with one sentence naming the file, the line and the field.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coach.errors import InputError, first_problem
from coach.evals.detection import DetectionSuite
from coach.files import read_utf8
from coach.supervisor.exemplars import Focus

# Friendly names for MITI codes in suites; "reflection" is either kind, "question" either type.
CodeName = Literal[
    "reflection",
    "simple_reflection",
    "complex_reflection",
    "question",
    "open_question",
    "closed_question",
    "giving_information",
    "persuade",
    "persuade_with_permission",
    "affirm",
    "seeking_collaboration",
    "emphasizing_autonomy",
    "confront",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodesCheck(Strict):
    """MI codes present or absent. On a turn: in that reply. In ``session``: in any reply."""

    type: Literal["codes"]
    all_of: list[CodeName] = []
    any_of: list[CodeName] = []
    none_of: list[CodeName] = []

    @model_validator(mode="after")
    def _not_empty(self) -> CodesCheck:
        if not (self.all_of or self.any_of or self.none_of):
            raise ValueError("a codes check needs all_of, any_of or none_of")
        return self


class MitiCheck(Strict):
    """Session-level MITI 4.2.1 figures from the coder's summary of the supervisor's replies."""

    type: Literal["miti"]
    min_reflection_to_question: float | None = Field(None, ge=0)
    min_percent_complex_reflections: float | None = Field(None, ge=0, le=1)
    min_percent_mi_consistent: float | None = Field(None, ge=0, le=1)
    min_fidelity: float | None = Field(None, ge=0, le=1)
    max_mi_non_adherent: int | None = Field(None, ge=0)


class GroundingCheck(Strict):
    """The reply draws on what was retrieved, and its claims are supported by it."""

    type: Literal["grounding"]
    cites: bool = True
    sources_any_of: list[str] = []
    min_supported: float = Field(0.5, ge=0, le=1)


class SafetyCheck(Strict):
    type: Literal["safety"]
    no_dosing: bool = True
    no_sourcing: bool = True
    no_legal_advice: bool = True
    no_diagnosis: bool = True
    escalates: bool = False


class RoleCheck(Strict):
    type: Literal["role"]
    no_ai_disclaimer: bool = True
    no_client_roleplay: bool = True


class LengthCheck(Strict):
    type: Literal["length"]
    min_words: int = Field(1, ge=0)
    max_words: int | None = Field(None, ge=1)


class LatencyCheck(Strict):
    type: Literal["latency"]
    max_seconds: float | None = Field(None, gt=0)
    max_first_token_seconds: float | None = Field(None, gt=0)


class CoherenceCheck(Strict):
    """The coherence checks of ``coach.supervisor.coherence``, independent of the MI coder."""

    type: Literal["coherence"]
    checks: list[Literal["role", "copying", "repetition", "relevance", "faithfulness"]] = Field(
        default=["role", "copying", "repetition", "relevance"], min_length=1
    )


TurnCheck = Annotated[
    CodesCheck
    | GroundingCheck
    | SafetyCheck
    | RoleCheck
    | LengthCheck
    | LatencyCheck
    | CoherenceCheck,
    Field(discriminator="type"),
]
SessionCheck = Annotated[CodesCheck | MitiCheck, Field(discriminator="type")]


class ScriptedTurn(Strict):
    say: str = Field(min_length=1)
    expect: list[TurnCheck] = []


class Simulation(Strict):
    """After the scripted turns, an LLM plays the trainee for ``turns`` more turns."""

    turns: int = Field(ge=1, le=10)


class Scenario(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    persona: str = Field(min_length=10)
    focus: Focus = "open"
    turns: list[str | ScriptedTurn] = []
    simulate: Simulation | None = None
    expect: list[TurnCheck] = []
    session: list[SessionCheck] = []

    @model_validator(mode="after")
    def _has_turns(self) -> Scenario:
        if not self.turns and not self.simulate:
            raise ValueError("a scenario needs scripted turns or a simulate block")
        return self

    @property
    def scripted(self) -> list[ScriptedTurn]:
        return [ScriptedTurn(say=t) if isinstance(t, str) else t for t in self.turns]

    @property
    def turn_count(self) -> int:
        return len(self.turns) + (self.simulate.turns if self.simulate else 0)


class Defaults(Strict):
    expect: list[TurnCheck] = []
    session: list[SessionCheck] = []


class Suite(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = Field(min_length=10)
    defaults: Defaults = Defaults()
    scenarios: list[Scenario] = Field(min_length=1)
    path: str = ""
    sha256: str = ""

    @model_validator(mode="after")
    def _unique_ids(self) -> Suite:
        seen: set[str] = set()
        for scenario in self.scenarios:
            if scenario.id in seen:
                raise ValueError(f"scenario id '{scenario.id}' appears twice")
            seen.add(scenario.id)
        return self

    def turn_checks(self, scenario: Scenario, index: int) -> list[TurnCheck]:
        """Suite defaults, then the scenario's checks, then those of scripted turn ``index``."""
        scripted = scenario.scripted
        own = scripted[index].expect if index < len(scripted) else []
        return [*self.defaults.expect, *scenario.expect, *own]

    def session_checks(self, scenario: Scenario) -> list[SessionCheck]:
        return [*self.defaults.session, *scenario.session]


def resolve_suite(name_or_path: str, suites_dir: Path) -> Path:
    """A suite is named (``core``) or given as a path to its YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        candidate = path
    else:
        candidate = suites_dir / f"{name_or_path}.yaml"
    if not candidate.is_file():
        known = ", ".join(sorted(p.stem for p in suites_dir.glob("*.yaml"))) or "none"
        raise InputError(f"There is no suite '{name_or_path}' (known suites: {known}).")
    return candidate


def load_suite(path: Path) -> Suite | DetectionSuite:
    text = read_utf8(path)
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise InputError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})."
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            f"{path}, line 1: a suite must be a mapping with name, description and scenarios."
        )
    model: type[Suite] | type[DetectionSuite] = (
        DetectionSuite if data.get("kind") == "detection" else Suite
    )
    try:
        suite = model.model_validate(data)
    except ValidationError as exc:
        field, message = first_problem(exc, "suite")
        line = _line_of(root, exc.errors()[0]["loc"])
        raise InputError(f"{path}, line {line}: {field}: {message}.") from None
    suite.path = str(path)
    suite.sha256 = hashlib.sha256(text.encode()).hexdigest()[:12]
    return suite


def _line_of(node: yaml.Node | None, loc: tuple) -> int:
    """The 1-based line of the YAML node at a pydantic error location. Path parts that are
    not in the YAML (union tags like ``codes``) are skipped; the deepest node found wins."""
    line = (node.start_mark.line + 1) if node else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            # a missing key leaves the line at its mapping
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
        if child is not None:
            node, line = child, child.start_mark.line + 1
    return line


def load_suites(names: list[str], suites_dir: Path) -> list[Suite | DetectionSuite]:
    suites = [load_suite(resolve_suite(n, suites_dir)) for n in names]
    names_seen = [s.name for s in suites]
    duplicate = next((n for n in names_seen if names_seen.count(n) > 1), None)
    if duplicate:
        raise InputError(f"The suite '{duplicate}' was given twice.")
    return suites
