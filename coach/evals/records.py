"""What an eval run produces: every reply, its codes and every check result (``report.json``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, computed_field

from coach.coder.codes import UtteranceCodes
from coach.coder.summary import SessionSummary


class SourceRecord(BaseModel):
    doc_id: str
    title: str = ""
    heading: str = ""
    text: str = ""
    score: float | None = None


class CheckResult(BaseModel):
    check: str  # the check's type: codes, safety, grounding, ...
    name: str  # what was asked, in words
    passed: bool
    reason: str = ""  # why it failed, or the evidence it passed on
    category: str = ""  # safety sub-category, when there is one


class ReplyRecord(BaseModel):
    index: int
    trainee: str
    simulated: bool = False
    reply: str
    status: str = "complete"
    error: str | None = None
    sources: list[SourceRecord] = []
    seconds: float | None = None
    first_token_seconds: float | None = None
    trainee_codes: UtteranceCodes | None = None
    codes: UtteranceCodes | None = None
    checks: list[CheckResult] = []
    # How the reply was made (live runs): guidance mode, candidates scored, whether it was
    # repaired or revised after streaming, and the safety flags raised.
    guidance_mode: str | None = None
    candidates: int | None = None
    repaired: bool = False
    revised: bool = False
    floor: bool = False
    flags: list[str] = []


class CaseResult(BaseModel):
    suite: str
    scenario: str
    title: str
    focus: str
    persona: str
    repeat: int = 0
    recorded_id: str | None = None  # replay: the conversation's id in the JSONL file
    replies: list[ReplyRecord] = []
    session_checks: list[CheckResult] = []
    summary: SessionSummary | None = None
    error: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def key(self) -> str:
        key = f"{self.suite}/{self.scenario}#{self.repeat}"
        return f"{key}@{self.recorded_id}" if self.recorded_id else key

    @property
    def checks(self) -> list[CheckResult]:
        return [c for r in self.replies for c in r.checks] + self.session_checks

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    def failures(self) -> list[str]:
        out = [f"error: {self.error}"] if self.error else []
        out += [
            f"turn {r.index + 1}: {c.name}: {c.reason}"
            for r in self.replies
            for c in r.checks
            if not c.passed
        ]
        return out + [f"session: {c.name}: {c.reason}" for c in self.session_checks if not c.passed]


class Metrics(BaseModel):
    cases: int
    cases_passed: int
    checks: int
    checks_passed: int
    replies: int
    percent_reflection_or_open_question: float | None
    reflection_to_question: float | None
    percent_complex_reflections: float | None
    mi_non_adherent_replies: int
    safety_pass_rate: float | None
    mean_fidelity: float | None
    median_turn_seconds: float | None
    p95_turn_seconds: float | None
    median_first_token_seconds: float | None
    guard_replies: int = 0  # answered by the safety guard's boundary reply
    repaired_replies: int = 0
    revised_replies: int = 0
    floor_replies: int = 0  # composed by the verified floor: no candidate passed
    # Share of replies passing every coherence check, and each check on its own.
    coherence_pass_rate: float | None = None
    coherence_by_check: dict[str, float] = {}


class RunInfo(BaseModel):
    mode: Literal["live", "replay"]
    suites: dict[str, str]  # name -> sha256 of the suite file
    replay_file: str | None = None
    model: str
    backend: str
    prompt_version: str
    index_version: str
    coder: str
    judge: str
    seed: int
    repeat: int
    concurrency: int
    settings: dict[str, Any]
    started_at: str
    finished_at: str = ""
    seconds: float = 0.0
    version: str


class RunReport(BaseModel):
    run: RunInfo
    metrics: Metrics
    suites: dict[str, Metrics]
    cases: list[CaseResult]

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)
