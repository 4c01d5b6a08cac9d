"""The safety guard: what a trainee message reveals or asks for, and the boundary reply each
finding calls for.

Three layers, each adding to the one before: patterns (``patterns``: microseconds, precise,
every hit names its words), meaning (``semantic``: MiniLM vectors of every sentence scored by
per-category heads, so paraphrases, euphemisms, reported speech, typos and risks buried in a
long message are caught) and, with a capable backend, an LLM judge (``judge``).
"""

from __future__ import annotations

from collections.abc import Sequence

from coach.supervisor.guard.boundaries import Boundaries, boundary_reply, load_boundaries
from coach.supervisor.guard.categories import CATEGORIES, CRISIS, LABELS, Category, priority
from coach.supervisor.guard.judge import SafetyJudge
from coach.supervisor.guard.patterns import Detection, asks_for_roleplay, detect_patterns
from coach.supervisor.guard.semantic import SemanticDetector, get_semantic_detector

__all__ = [
    "CATEGORIES",
    "CRISIS",
    "LABELS",
    "Boundaries",
    "Category",
    "Detection",
    "Guard",
    "SafetyJudge",
    "asks_for_roleplay",
    "boundary_reply",
    "detect_patterns",
    "load_boundaries",
]


class Guard:
    """Screens trainee messages with every configured layer."""

    def __init__(
        self, semantic: SemanticDetector | None = None, judge: SafetyJudge | None = None
    ) -> None:
        self.semantic = semantic or get_semantic_detector()
        self.judge = judge

    def screen(self, message: str, earlier: Sequence[str] = ()) -> list[Detection]:
        """Every category found in ``message``, most urgent first. ``earlier`` holds the
        session's previous trainee messages: a crisis told across two turns ("she texted me
        last night" ... "she's been collecting her pills") is also read as one."""
        found: dict[str, Detection] = {}
        for detection in [*detect_patterns(message), *self.semantic.detect(message)]:
            found.setdefault(detection.category, detection)
        if earlier:
            joined = f"{earlier[-1]} {message}"
            for detection in self.semantic.detect(joined, whole_only=True):
                if detection.category in CRISIS and detection.category not in found:
                    found[detection.category] = Detection(
                        detection.category, detection.evidence, layer="context"
                    )
        if self.judge and not any(c in CRISIS for c in found):
            for detection in self.judge.screen(message):
                found.setdefault(detection.category, detection)
        return sorted(found.values(), key=lambda d: priority(d.category))
