"""The simulated client's hidden state, moved by how the trainee speaks.

Four numbers in [0, 1]: readiness to change, confidence in being able to, discord with the
therapist, and openness (how much they tell). Every MITI code in a trainee utterance moves them
by ``EFFECTS`` (the table in docs/practice.md); a run of closed questions and an utterance with
no MI-adherent behaviour move them too. The state then weighs what the client does next
(``next_act``), drawn with a seeded generator so a practice can be replayed.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace

from coach.coder.codes import Miti, UtteranceCodes
from coach.practice.personas import Act, Stage

START_READINESS: dict[Stage, float] = {
    "precontemplation": 0.15,
    "contemplation": 0.35,
    "preparation": 0.55,
    "action": 0.7,
}

# (readiness, confidence, discord, openness) per code in the trainee's utterance.
EFFECTS: dict[Miti, tuple[float, float, float, float]] = {
    Miti.COMPLEX_REFLECTION: (0.06, 0.02, -0.10, 0.08),
    Miti.SIMPLE_REFLECTION: (0.03, 0.0, -0.05, 0.05),
    Miti.AFFIRM: (0.03, 0.08, -0.06, 0.04),
    Miti.EMPHASIZING_AUTONOMY: (0.05, 0.03, -0.10, 0.03),
    Miti.SEEKING_COLLABORATION: (0.03, 0.02, -0.08, 0.05),
    Miti.QUESTION: (0.0, 0.0, 0.0, 0.0),  # open or closed: see OPEN_QUESTION, CLOSED_RUN
    Miti.GIVING_INFORMATION: (0.0, 0.0, 0.02, 0.0),
    Miti.PERSUADE_WITH_PERMISSION: (0.02, 0.0, 0.0, 0.0),
    Miti.PERSUADE: (-0.06, -0.02, 0.16, -0.06),
    Miti.CONFRONT: (-0.08, -0.05, 0.25, -0.10),
}
OPEN_QUESTION = (0.02, 0.0, -0.02, 0.05)
CLOSED_RUN = (-0.02, 0.0, 0.08, -0.05)  # the third closed question in a row, and each after
CLOSED_RUN_LENGTH = 3
DECAY = 0.9  # discord fades a little each turn it is not fed


@dataclass(frozen=True)
class ClientState:
    readiness: float
    confidence: float
    discord: float
    openness: float
    closed_run: int = 0

    @classmethod
    def start(cls, stage: Stage) -> ClientState:
        return cls(readiness=START_READINESS[stage], confidence=0.4, discord=0.1, openness=0.5)

    def as_dict(self) -> dict[str, float]:
        values = asdict(self)
        values.pop("closed_run")
        return {k: round(v, 3) for k, v in values.items()}

    def after(self, codes: UtteranceCodes) -> ClientState:
        """The state once the client has heard this coded trainee utterance."""
        moves = [EFFECTS[c] for c in codes.miti_codes if c in EFFECTS]
        closed_run = self.closed_run
        if Miti.QUESTION in codes.miti_codes:
            if codes.question_type == "open":
                moves.append(OPEN_QUESTION)
                closed_run = 0
            else:
                closed_run += 1
                if closed_run >= CLOSED_RUN_LENGTH:
                    moves.append(CLOSED_RUN)
        else:
            closed_run = 0
        r, c, d, o = self.readiness, self.confidence, self.discord * DECAY, self.openness
        for dr, dc, dd, do in moves:
            r, c, d, o = r + dr, c + dc, d + dd, o + do
        return replace(
            self,
            readiness=_clip(r),
            confidence=_clip(c),
            discord=_clip(d),
            openness=_clip(o),
            closed_run=closed_run,
        )

    def weights(self) -> dict[Act, float]:
        """How likely each next act is: discord when the therapist has provoked it, change
        talk with readiness and openness, sustain talk with reluctance."""
        return {
            "discord": 3.0 * max(0.0, self.discord - 0.2),
            "sustain": (1 - self.readiness) * (0.5 + self.discord),
            "change": self.readiness * (0.5 + self.openness) * (0.7 + 0.6 * self.confidence),
            "elaboration": 0.4 * self.openness,
            "neutral": 0.15,
        }

    def next_act(self, rng: random.Random) -> Act:
        weights = self.weights()
        acts = list(weights)
        return rng.choices(acts, weights=[weights[a] for a in acts])[0]


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


# How an act is counted as client talk (MITI and AnnoMI: change, neutral or sustain).
TALK_OF: dict[Act, str] = {
    "change": "change",
    "sustain": "sustain",
    "discord": "sustain",
    "neutral": "neutral",
    "elaboration": "neutral",
}
