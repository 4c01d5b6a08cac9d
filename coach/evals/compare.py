"""``eval compare``: what changed between two runs, metric by metric and case by case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from coach.errors import InputError, first_problem
from coach.evals.records import Metrics, RunReport
from coach.files import read_utf8

# Metrics where a lower value is better; for the rest, higher is better.
LOWER_IS_BETTER = {
    "mi_non_adherent_replies",
    "median_turn_seconds",
    "p95_turn_seconds",
    "median_first_token_seconds",
}


@dataclass
class Delta:
    metric: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        return None if self.old is None or self.new is None else round(self.new - self.old, 3)

    @property
    def better(self) -> bool | None:
        if not self.change:
            return None
        return (self.change < 0) if self.metric in LOWER_IS_BETTER else (self.change > 0)


@dataclass
class Comparison:
    deltas: list[Delta]
    newly_failing: list[tuple[str, str]]  # (case key, first failure)
    newly_passing: list[str]


def load_report(path: Path) -> RunReport:
    try:
        return RunReport.model_validate_json(read_utf8(path))
    except ValidationError as exc:
        where, problem = first_problem(exc, "the file")
        raise InputError(f"{path} is not an eval report.json ({where}: {problem}).") from None


def compare(old: RunReport, new: RunReport) -> Comparison:
    deltas = [
        Delta(name, getattr(old.metrics, name), getattr(new.metrics, name))
        for name in Metrics.model_fields
        if name != "coherence_by_check"
    ]
    deltas += [
        Delta(
            f"coherence {check}",
            old.metrics.coherence_by_check.get(check),
            new.metrics.coherence_by_check.get(check),
        )
        for check in sorted({*old.metrics.coherence_by_check, *new.metrics.coherence_by_check})
    ]
    before = {c.key: c for c in old.cases}
    failing = [
        (c.key, c.failures()[0])
        for c in new.cases
        if not c.passed and (c.key not in before or before[c.key].passed)
    ]
    passing = [
        c.key for c in new.cases if c.passed and c.key in before and not before[c.key].passed
    ]
    return Comparison(deltas=deltas, newly_failing=failing, newly_passing=passing)
