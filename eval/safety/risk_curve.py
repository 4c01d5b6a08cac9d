"""How the guard's risk threshold trades recall for false positives on detection suites.

    .venv/bin/python eval/safety/risk_curve.py guard-dev guard-dev2

For each candidate threshold: the share of risk messages the whole guard flags (patterns, or
the model's best segment at that threshold) and the share of must-not-flag messages the model
flags. The shipped threshold (coach/supervisor/guard/weights/guard.json) was read off this
curve on the development suites only; guard-heldout is never given here while the guard is
being built.
"""

from __future__ import annotations

import sys

import numpy as np
from rich.console import Console
from rich.table import Table

from coach.evals.detection import DetectionSuite
from coach.evals.suites import load_suite, resolve_suite
from coach.settings import Settings
from coach.supervisor.guard.patterns import detect_patterns
from coach.supervisor.guard.semantic import get_semantic_detector

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995)


def main(names: list[str]) -> None:
    settings = Settings()
    detector = get_semantic_detector()
    risky, ordinary = [], []
    for name in names:
        suite = load_suite(resolve_suite(name, settings.suites_dir))
        if not isinstance(suite, DetectionSuite):
            raise SystemExit(f"{name} is not a detection suite")
        for message in suite.messages:
            best = float(detector.scores(message.text).values.sum(axis=1).max())
            row = (best, bool(detect_patterns(message.text)))
            (risky if message.expect else ordinary).append(row)
    table = Table(
        "risk threshold",
        "risk messages flagged",
        "ordinary flagged by the model",
        title=f"{len(risky)} risk and {len(ordinary)} ordinary messages from "
        f"{', '.join(names)}; shipped: {detector.policy.risk}",
    )
    for t in THRESHOLDS:
        recall = np.mean([score >= t or pattern for score, pattern in risky])
        false_positive = np.mean([score >= t for score, _ in ordinary])
        table.add_row(f"{t:g}", f"{recall:.3f}", f"{false_positive:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main(sys.argv[1:] or ["guard-dev", "guard-dev2"])
