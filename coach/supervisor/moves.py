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
# Asking outright for an idea, a list, words or a rule of thumb: the request is permission.
EXPLICIT_REQUEST = re.compile(
    r"\b(?:(?:can|could|would) you (?:please |just |maybe |actually )*(?:give|tell|show|"
    r"suggest|share|recommend|list|offer)|give me|any (?:tips|advice|ideas|suggestions|"
    r"pointers)|(?:what|which) (?:are|would be) (?:some|good|a few)|(?:a )?list of|"
    r"tell me (?:what|how)|what(?:'s| is) the (?:right|best|a good) (?:way|thing|wording)|"
    r"how (?:long|often|much|many)\b[^.?!]*\?|what (?:goes|should go) (?:in|into)|"
    r"what (?:do|should|would|could) (?:i|you) (?:say|write)|exact (?:words|sentence|"
    r"wording|phrase)|just tell me|is it (?:ok|okay|alright|appropriate|normal|fine) (?:to|if)|"
    r"what would you (?:do|say|suggest)|examples? of|recommend (?:any|some|a)|"
    # asking for an explanation, a structure, a drill or the evidence
    r"(?:can|could|would) you (?:please |just |maybe |actually )*(?:explain|propose|describe|"
    r"walk me through|help me (?:with|think|find|word|frame|phrase|put))|"
    r"(?:i'?d|i would) (?:like|love|appreciate) (?:a|an|some|concrete|practical|\d)\b|"
    r"(?:have you got|do you have|is there) (?:an?|any) (?:actual |good |simple |concrete )?"
    r"(?:practice|exercise|routine|drill|structure|script|template|evidence|research)|"
    r"what does (?:the )?(?:research|evidence|literature) (?:actually )?say|"
    r"is there (?:any )?(?:evidence|research)|what can I say|how do you do\b|"
    # asking for a written example, a better line, help, or how the field thinks (added after
    # reading set 13's read: "could you write a double-sided reflection", "what's a better
    # next line?", "how do other practitioners think about ...")
    r"(?:can|could|would) you (?:please |just |maybe |actually )*(?:write|draft|model|"
    r"demonstrate|summari[sz]e|sum (?:that|it|this) up)|"
    r"how would you (?:sum|put|word|phrase|say|summari[sz]e|open|close|start|end)\b|"
    r"what(?:'s| is| would be) a (?:better|good|useful|gentler|kinder) (?:next )?(?:line|way|"
    r"question|reflection|response|opening|thing to say)|"
    r"(?:i'?d|i would) (?:like|love|appreciate) (?:help|a hand|some help|guidance|ideas)\b|"
    r"how do (?:people|others|other (?:practitioners|clinicians|therapists|facilitators)|"
    r"clinicians|therapists|practitioners|supervisors)(?: in the field)? (?:think|handle|"
    r"approach|deal|navigate)|(?:you'?d|you would) (?:suggest|recommend)\b|"
    r"what can I (?:actually |realistically )?(?:do|try)\b|how do you know (?:when|if|whether))",
    re.I,
)
# "No thanks, I want to work it out myself": the offer is not pressed.
DECLINES = re.compile(
    r"^\W*(?:no\b|nah\b|not (?:now|yet|really|right now)|i'?d rather|i would rather|"
    r"actually,? (?:i|let)|i'?m (?:ok|okay|good|fine) (?:for now|thanks)|i think i'?ll)",
    re.I,
)


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


def offer_request(
    message: str, previous_message: str | None = None, previous_move: str | None = None
) -> str | None:
    """What to match an offer against, when this turn should give one: the earlier request
    with this answer after the supervisor asked permission (unless the trainee declines), or
    the message itself when it asks outright. None when no offer is wanted."""
    if previous_move == "permission" and previous_message and not DECLINES.match(message):
        return f"{previous_message} {message}"
    if EXPLICIT_REQUEST.search(message):
        return message
    return None


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
