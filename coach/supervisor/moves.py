"""Which MI move the supervisor makes next, read from the trainee's message.

A small model does one narrow thing well; asked for "a good MI reply" it drifts. So the turn
is decomposed: pick the move here (rules over the message), let the model realise only that
move (``prompts/moves.yaml``), verify the result (``coach.supervisor.coherence`` and the coder).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.llm.templates import load_prompt_file, render

Move = Literal[
    "reflect_question", "reflect", "question", "affirm_question", "permission", "summary"
]

ASKS_ADVICE = re.compile(
    r"\b(?:what should I|what do I (?:say|do)|how (?:do|can|should|would) I|should I|"
    r"can you (?:just )?(?:tell|give|show)|tell me (?:what|how)|any (?:tips|advice|ideas|"
    r"suggestions)|what would you (?:do|say)|what(?:'s| is) the (?:right|best) (?:way|thing)|"
    r"is it (?:ok|okay|alright|appropriate) (?:to|if)|give me (?:a|some)|what can I)\b",
    re.I,
)
REPORTS_EFFORT = re.compile(
    r"\b(?:(?<!if )(?<!when )(?<!whether )I (?:tried|managed|finally|stayed|remembered|used|"
    r"practi[cs]ed|asked|let|waited|held|didn't (?:jump|rush|fix|fill|interrupt))|"
    r"went (?:well|better)|proud|it worked|"
    r"for once)\b",
    re.I,
)
SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def pick_move(message: str) -> Move:
    """The move for this message: permission before any advice, a summary when there is
    much to gather, an affirmation when the trainee tells of an effort, else a reflection
    with one open question."""
    if ASKS_ADVICE.search(message):
        return "permission"
    n_words = len(message.split())
    if n_words >= 70 and len(SENTENCE.findall(message)) >= 4:
        return "summary"
    if REPORTS_EFFORT.search(message):
        return "affirm_question"
    return "reflect_question"


class MovesFile(BaseModel):
    """``prompts/moves.yaml``: the system text, with one instruction per move."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    system: str = Field(min_length=10)
    moves: dict[str, str]

    @model_validator(mode="after")
    def _every_move(self) -> MovesFile:
        missing = [m for m in get_args(Move) if m not in self.moves]
        if missing:
            raise ValueError(f"moves lacks {', '.join(missing)}")
        return self

    def system_for(self, move: str) -> str:
        return render(self.system, instruction=self.moves[move])


def load_moves(path: Path) -> MovesFile:
    return load_prompt_file(path, MovesFile)
