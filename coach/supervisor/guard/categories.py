"""The safety guard's vocabulary: what a trainee message can reveal or ask for, most urgent
first. When a message holds several, the boundary reply answers the first and all are flagged.
"""

from __future__ import annotations

from typing import Literal, get_args

Category = Literal[
    "crisis_self",
    "crisis_client",
    "harm_to_others",
    "abuse",
    "medical_emergency",
    "psychosis",
    "impaired_practice",
    "boundary",
    "combination",
    "dosing",
    "sourcing",
    "legal",
    "diagnosis",
    "role_drop",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)

# Someone may be in danger: these escalate to a named human now, and none may be missed.
CRISIS: tuple[Category, ...] = (
    "crisis_self",
    "crisis_client",
    "harm_to_others",
    "abuse",
    "medical_emergency",
    "psychosis",
)

LABELS: dict[Category, str] = {
    "crisis_self": "trainee risk to self",
    "crisis_client": "client risk to self",
    "harm_to_others": "risk to others",
    "abuse": "abuse disclosure (child or elder)",
    "medical_emergency": "medical emergency",
    "psychosis": "acute psychosis or spiritual emergency",
    "impaired_practice": "impaired practice",
    "boundary": "boundary violation",
    "combination": "drug combination or interaction",
    "dosing": "dosing",
    "sourcing": "sourcing",
    "legal": "legal question",
    "diagnosis": "diagnosis request",
    "role_drop": "role break or prompt injection",
}


def priority(category: str) -> int:
    return CATEGORIES.index(category)  # type: ignore[arg-type]
