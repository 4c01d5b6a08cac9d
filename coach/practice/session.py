"""One practice: the client's opening, then for each trainee utterance its MITI codes, the
client's new state, the act it picks and the client's verified reply; at the end, the debrief.

Seeded: the same persona, script and seed give the same practice.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from coach.coder import code_conversation
from coach.coder.codes import UtteranceCodes
from coach.coder.summary import SessionSummary
from coach.llm.templates import load_prompt_file
from coach.practice.client import ClientReply, PracticePrompts, SimulatedClient, first_name
from coach.practice.debrief import Exchange, debrief, miti_lines
from coach.practice.hints import hint
from coach.practice.personas import Act, Persona, get_persona, load_personas
from coach.practice.state import ClientState
from coach.settings import Settings
from coach.storage.store import HINT_ROLE, Store
from coach.supervisor.agent import clean_message
from coach.supervisor.guard import LABELS, Guard


@dataclass
class PracticeTurn:
    trainee: str
    codes: UtteranceCodes
    client: ClientReply
    state: ClientState
    flags: list[str] = field(default_factory=list)  # safety categories the guard raised
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "trainee": self.trainee,
            "trainee_codes": [c.value for c in self.codes.miti_codes],
            "client": self.client.text,
            "client_talk": self.client.talk,
            "client_act": self.client.act,
            "client_source": self.client.source,
            "client_heard": self.client.heard,
            "state": self.state.as_dict(),
            "flags": self.flags,
            "seconds": round(self.seconds, 3),
        }


_CLIENT_MODELS: dict[tuple, Any] = {}


def client_model(settings: Settings):
    """One client model per backend and process: an embedded model's lock lives on the
    model object, so every practice must share it."""
    from coach.llm.backends import get_chat_model

    key = (
        settings.llm_backend,
        settings.model,
        str(settings.model_path),
        settings.base_url,
        settings.client_adapter,
    )
    if key not in _CLIENT_MODELS:
        # The supervisor's adapter speaks to a trainee: the client is the base model, or the
        # client adapter (AnnoMI client turns) when MIE_CLIENT_ADAPTER is on.
        if settings.client_adapter:
            _CLIENT_MODELS[key] = get_chat_model(settings, adapter="client")
        else:
            _CLIENT_MODELS[key] = get_chat_model(settings.model_copy(update={"adapter": False}))
    return _CLIENT_MODELS[key]


class Practice:
    def __init__(
        self,
        settings: Settings,
        persona_id: str,
        seed: int = 0,
        generate: bool = True,
        store: Store | None = None,
        user_id: int | None = None,
        channel: str = "cli",
    ) -> None:
        self.settings = settings
        self.persona: Persona = get_persona(settings.prompts_dir, persona_id)
        self.prompts = load_prompt_file(settings.prompts_dir / "practice.yaml", PracticePrompts)
        model = client_model(settings) if generate else None
        others = list(load_personas(settings.prompts_dir).values())
        self.client = SimulatedClient(self.persona, self.prompts, model, seed, others)
        self.rng = random.Random(seed)
        self.state = ClientState.start(self.persona.stage)
        self.turns: list[PracticeTurn] = []
        self.guard = Guard()
        # Logged like a supervision session (kind practice), so a supervisor can review it.
        self.store = store
        self.session_id: str | None = None
        if store is not None:
            self.session_id = store.create_session(
                focus="skills",
                channel=channel,
                user_id=user_id,
                kind="practice",
                persona=self.persona.id,
            )
            store.add_message(self.session_id, "client", self.opening)

    @property
    def opening(self) -> str:
        return self.persona.opening

    def last_client_line(self) -> str:
        return self.turns[-1].client.text if self.turns else self.opening

    def turn(self, message: str) -> PracticeTurn:
        started = time.perf_counter()
        trainee = clean_message(message, self.settings.max_message_chars)
        earlier = [t.trainee for t in self.turns[-1:]]
        flags = [d.category for d in self.guard.screen(trainee, earlier)]
        codes = code_conversation(
            [("client", self.last_client_line()), ("therapist", trainee)], trainee=True
        )
        trainee_codes = codes.utterances[1]
        self.state = self.state.after(trainee_codes)
        act: Act = self.state.next_act(self.rng)
        reply = self.client.reply(trainee, act, len(self.turns))
        turn = PracticeTurn(trainee, trainee_codes, reply, self.state, flags)
        turn.seconds = time.perf_counter() - started
        self.turns.append(turn)
        if self.store is not None and self.session_id:
            self._record(turn)
        return turn

    def _record(self, turn: PracticeTurn) -> None:
        assert self.store is not None and self.session_id
        self.store.add_message(self.session_id, "trainee", turn.trainee, flags=turn.flags or None)
        state = turn.state.as_dict() | {
            "act": turn.client.act,
            "talk": turn.client.talk,
            "source": turn.client.source,
        }
        self.store.add_message(self.session_id, "client", turn.client.text, client_state=state)
        if turn.flags:
            self.store.flag_session(
                self.session_id,
                f"practice turn {len(self.turns)}: "
                + ", ".join(LABELS.get(f, f) for f in turn.flags),  # type: ignore[call-overload]
            )

    def end(self) -> str:
        """The debrief, saved with the practice when it is logged."""
        text = self.debrief()
        if self.store is not None and self.session_id:
            self.store.end_session(self.session_id, text, "")
        return text

    def summary(self) -> SessionSummary:
        """The MITI summary of the trainee's utterances so far (the trainee is the therapist)."""
        conversation = [("client", self.opening)]
        for t in self.turns:
            conversation += [("therapist", t.trainee), ("client", t.client.text)]
        return code_conversation(conversation, trainee=True).summary

    def feedback(self) -> list[str]:
        return miti_lines(self.summary(), [t.codes for t in self.turns])

    def hint(self) -> str:
        """One MI-style suggestion for the trainee's next move (coach/practice/hints.py),
        saved with a logged practice so the supervisor sees where the trainee asked."""
        talk = self.turns[-1].client.talk if self.turns else "neutral"
        if self.turns and self.turns[-1].client.act == "discord":
            talk = "discord"
        text = hint(
            self.prompts.hints,
            first_name(self.persona),
            self.last_client_line(),
            talk,
            [t.codes for t in self.turns],
        )
        if self.store is not None and self.session_id:
            self.store.add_message(self.session_id, HINT_ROLE, text)
        return text

    def debrief(self) -> str:
        exchanges, before = [], self.opening
        for t in self.turns:
            exchanges.append(Exchange(t.trainee, t.codes, before))
            before = t.client.text
        return debrief(exchanges, self.summary(), self.prompts.debrief, first_name(self.persona))
