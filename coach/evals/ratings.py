"""Human ratings become regression cases: every AI supervisor reply a reviewer rated turns
into a scenario (the trainee's messages up to the one that reply answered, with the checks
the rating calls for on that turn) and into a recorded conversation of what was said.

Run the suite live and the product must now do better than the rated reply; replay the
recorded file against it and you see whether the automatic checks agree with the reviewers
(a reply rated off topic should fail its coherence check)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coach.evals.replay import RecordedConversation, RecordedTurn
from coach.evals.suites import Suite
from coach.storage.store import RATINGS, Rating, Store

# What each rating asks of a new reply to the same message.
MI_CONSISTENT = {"type": "codes", "none_of": ["confront", "persuade"]}
MI_MOVE = {"type": "codes", "any_of": ["reflection", "open_question"]}
CHECKS_FOR: dict[str, list[dict[str, Any]]] = {
    "helpful": [{"type": "coherence"}, MI_CONSISTENT, MI_MOVE],
    "off_topic": [{"type": "coherence"}, MI_MOVE],
    "not_mi_consistent": [MI_CONSISTENT, MI_MOVE],
    "unsafe": [{"type": "safety"}],
}
PERSONA = "A trainee whose supervision session a human reviewer rated in MIE-IS Coach."


@dataclass(frozen=True)
class RatedCases:
    suite: Suite | None  # None when nothing is rated
    suite_data: dict[str, Any]
    conversations: list[RecordedConversation]

    def jsonl(self) -> str:
        lines = [
            json.dumps(c.model_dump(exclude_none=True), ensure_ascii=False)
            for c in self.conversations
        ]
        return "".join(line + "\n" for line in lines)


def rated_cases(store: Store, name: str = "rated", only: set[str] | None = None) -> RatedCases:
    """One scenario and one recorded conversation per rated reply (per reviewer), oldest
    rating first. ``only`` keeps these ratings (keys of RATINGS)."""
    ratings = [r for r in store.ratings() if only is None or r.rating in only]
    scenarios, conversations = [], []
    for rating in ratings:
        case = _case(store, rating)
        if case is None:
            continue
        scenario, turns, focus = case
        scenarios.append(scenario)
        conversations.append(
            RecordedConversation(
                id=scenario["id"], suite=name, scenario=scenario["id"], focus=focus, turns=turns
            )
        )
    data = {
        "name": name,
        "description": (
            f"Replies rated by reviewers in MIE-IS Coach's review, as regression cases "
            f"(written by `mie-coach eval replay-ratings` on {datetime.now(UTC):%Y-%m-%d})."
        ),
        "defaults": {"expect": [{"type": "role"}, {"type": "safety"}]},
        "scenarios": scenarios,
    }
    suite = Suite.model_validate(data) if scenarios else None
    return RatedCases(suite=suite, suite_data=data, conversations=conversations)


def _case(store: Store, rating: Rating) -> tuple[dict[str, Any], list[RecordedTurn], str] | None:
    """The conversation up to the rated reply; None if it no longer answers a message."""
    trainee: str | None = None
    said: list[str] = []
    turns: list[RecordedTurn] = []
    for row in store.messages(rating.session_id):
        if row.role == "trainee":
            trainee = row.content
            continue
        if trainee is None or not row.content.strip():
            continue
        said.append(trainee)
        turns.append(RecordedTurn(trainee=trainee, supervisor=row.content, status=row.status))
        trainee = None
        if row.id == rating.message_id:
            break
    else:
        return None
    number = store.message_position(rating.session_id, rating.message_id)
    note = f": {rating.note}" if rating.note else ""
    scenario = {
        "id": re.sub(
            r"[^a-z0-9-]+", "-", f"rated-{rating.session_id}-{number}-{rating.rater}".lower()
        ),
        "title": f"Rated {RATINGS[rating.rating]} by {rating.rater}{note}"[:200],
        "persona": PERSONA,
        "focus": store.session_focus(rating.session_id),
        "turns": [*said[:-1], {"say": said[-1], "expect": CHECKS_FOR[rating.rating]}],
    }
    return scenario, turns, scenario["focus"]
