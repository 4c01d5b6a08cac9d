"""The simulated client's reply: the act the state chose, realised in the persona's voice.

As with the supervisor, a small model does one narrow thing (one act, in one or two
sentences, from ``prompts/practice.yaml``) and every candidate is verified before it is used:
it speaks as the client (first person, no speaker labels, no therapist talk), copies nothing
from its own instructions, repeats nothing it said before, gives no doses or sources, and the
MI coder reads it as the talk type that was asked for. When no candidate passes, the client's
verified floor answers: the persona's written line of that act that sits closest in meaning to
what the trainee said and was not yet used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict

from coach.coder import code_conversation
from coach.knowledge.embeddings import get_embeddings
from coach.llm.templates import render
from coach.practice.personas import Act, Persona
from coach.practice.state import TALK_OF
from coach.supervisor.coherence.faithfulness import SENTENCE
from coach.supervisor.coherence.overlap import RunIndex
from coach.supervisor.guard import CRISIS, detect_patterns
from coach.supervisor.safety import reply_findings

COPY_RUN, REPEAT_RUN = 8, 6
CLIENT_NEVER = ("dosing", "sourcing", "legal_advice", "ai_disclaimer", "plays_other_role")
THERAPIST_TALK = re.compile(
    r"\b(?:it sounds like you|what I(?:'m| am) hearing|your client|the client|as your therapist|"
    r"as an ai|language model|therapist:|client:|trainee:|supervisor:)",
    re.I,
)
FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|myself|mine)\b")
# Narration ("Maya sat down and began to write") or a speech in quotes, not the client talking.
NARRATION = re.compile(r"[\"“”]|\bthe therapist\b|\b(?:she|he) (?:said|says|sat|began)\b", re.I)
# A reply that opens on "you" is the therapist's voice ("You'd want to...", "You're not...").
OPENS_ON_YOU = re.compile(r"^\s*you(?!\s+know)\b", re.I)
# Helping-talk a client does not say: praise or sympathy for the listener's choices, wellness
# slogans, talk about the reply itself.
HELPER_TALK = re.compile(
    r"\b(?:glad to hear|proud of you|sorry for your|your (?:decision|journey|progress|wife|"
    r"husband|life)|(?:mental health|healing|wellness) journey|empower\w*|self-care|"
    r"it'?s (?:important|okay|ok) to|remember that|in the first person|as an ai|"
    r"(?-i:AI)|language model)\b",
    re.I,
)
# A list, a heading or a trailing colon: a document, not a person talking.
DOCUMENT_FORM = re.compile(r"(?:^|\n)\s*(?:\d+[.)]|[-*•])(?:\s|$)|:\s*$|\(\s*I\s*\)")
# Telling the listener what they should do or feel: the helper's place, not the client's.
ADVICE_TO_YOU = re.compile(
    r"\byou\s+(?:really\s+|just\s+)?(?:need\s+to|should|must|have\s+to|can\s+always|might\s+want|"
    r"could\s+try|may\s+want|deserve)\b",
    re.I,
)
CANDIDATES = 2


class PracticePrompts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    client_system: str
    client_user: str
    acts: dict[Act, str]
    debrief: dict[str, str]
    hints: dict[
        Literal["permission", "repair", "double_sided", "evoke", "open", "reflect", "close"], str
    ]

    def messages(self, persona: Persona, act: Act, therapist: str) -> list:
        values = persona.model_dump() | {"first_name": first_name(persona)}
        return [
            SystemMessage(content=render(self.client_system, **values)),
            HumanMessage(
                content=render(
                    self.client_user, therapist=therapist, instruction=self.acts[act], **values
                )
            ),
        ]


def story(persona: Persona) -> str:
    return f"{persona.session} {persona.change} {' '.join(persona.reasons_for)} " + " ".join(
        persona.reasons_against
    )


def first_name(persona: Persona) -> str:
    return persona.name.split(",")[0].split()[0]


@dataclass
class ClientReply:
    text: str
    act: Act
    talk: str  # the act's talk type: change, neutral or sustain
    source: str  # model | floor
    rejected: list[str] = field(default_factory=list)  # why each refused candidate failed
    heard: str | None = None  # the coder's reading (a model reply must agree with ``talk``)


def client_problems(
    text: str,
    act: Act,
    heard: str | None,
    copies: RunIndex,
    said: RunIndex,
    name: str = "",
    on_persona: float = 1.0,
    crisis_allowed: bool = False,
) -> list[str]:
    """Why a candidate cannot be the client's reply (none: it can). ``on_persona``: how much
    closer the reply sits to this client's own story than to the other clients' stories;
    ``crisis_allowed``: the persona is written to escalate to a crisis."""
    problems = []
    if not text.strip():
        return ["empty"]
    if THERAPIST_TALK.search(text) or OPENS_ON_YOU.search(text):
        problems.append("speaks as the therapist or names a speaker")
    if HELPER_TALK.search(text) or advises_you(text):
        problems.append("talks like a helper, not a client")
    if DOCUMENT_FORM.search(text):
        problems.append("reads as a document (a list, heading or colon)")
    if NARRATION.search(text) or (name and re.search(rf"\b{re.escape(name)}\b", text)):
        problems.append("narrates instead of speaking as the client")
    if on_persona <= 0:
        problems.append(f"not about this client's story ({on_persona:.3f})")
    if not FIRST_PERSON.search(text):
        problems.append("not in the first person")
    if copies.shared(text):
        problems.append("copies its instructions")
    if said.shared(text):
        problems.append("repeats an earlier reply")
    unsafe = [f.category for f in reply_findings(text) if f.category in CLIENT_NEVER]
    if unsafe:
        problems.append("unsafe: " + ", ".join(unsafe))
    crisis = [d.category for d in detect_patterns(text) if d.category in CRISIS]
    if crisis and not crisis_allowed:
        problems.append("escalates to a crisis this persona is not written for: " + crisis[0])
    if not talk_agrees(act, heard):
        problems.append(f"coded as {heard} talk, not {TALK_OF[act]}")
    return problems


def advises_you(text: str) -> bool:
    """A sentence with no "I" in it that tells "you" what to do or feel ("It's something you
    need to accept every day."). A client's generic "you" ("once you say it out loud you can't
    take it back") and a push-back at the therapist are not advice."""
    return any(
        ADVICE_TO_YOU.search(sentence) and not FIRST_PERSON.search(sentence)
        for sentence in SENTENCE.findall(text)
    )


def talk_agrees(act: Act, heard: str | None) -> bool:
    """Change and sustain must be heard as such; the other acts must not be heard as change
    (a discord can be heard as sustain or neutral talk)."""
    if act == "elaboration":
        return True  # more of the story may carry any talk
    if act == "discord":
        return heard in ("sustain", "neutral")
    if act == "neutral":
        return heard != "change"
    return heard == TALK_OF[act]


class SimulatedClient:
    def __init__(
        self,
        persona: Persona,
        prompts: PracticePrompts,
        model: BaseChatModel | None,
        seed: int = 0,
        others: Sequence[Persona] = (),
    ) -> None:
        self.persona = persona
        self.prompts = prompts
        self.model = model
        self.seed = seed
        self.said: list[str] = [persona.opening]
        instructions = [prompts.client_system, prompts.client_user, *prompts.acts.values()]
        values = persona.model_dump() | {"first_name": first_name(persona)}
        self.copies = RunIndex(
            [render(t, therapist="", instruction="", **values) for t in instructions],
            COPY_RUN,
        )
        self.used_lines: set[str] = set()
        embedder = get_embeddings()
        self.story = embedder.encode([story(persona)])[0]
        self.other_stories = (
            embedder.encode([story(o) for o in others if o.id != persona.id]) if others else None
        )

    def on_persona(self, texts: Sequence[str]) -> list[float]:
        """Cosine to this client's story minus the mean cosine to the other clients'."""
        if self.other_stories is None or not texts:
            return [1.0] * len(texts)
        vectors = get_embeddings().encode(list(texts))
        own = vectors @ self.story
        return [float(v) for v in own - (vectors @ self.other_stories.T).mean(axis=1)]

    def reply(self, therapist: str, act: Act, turn: int) -> ClientReply:
        rejected: list[str] = []
        said = RunIndex(self.said, REPEAT_RUN)
        for text in self._candidates(therapist, act, turn):  # generated one at a time
            [margin] = self.on_persona([text])
            heard = _talk_of(therapist, text)
            problems = client_problems(
                text,
                act,
                heard,
                self.copies,
                said,
                first_name(self.persona),
                margin,
                crisis_allowed=self.persona.crisis,
            )
            if not problems:
                self.said.append(text)
                return ClientReply(text, act, TALK_OF[act], "model", rejected, heard)
            rejected.append(f"{text[:60]!r}: {'; '.join(problems)}")
        text = self.floor(therapist, act)
        self.said.append(text)
        # A written line is its act's talk by construction; the coder's reading is kept beside.
        heard = _talk_of(therapist, text)
        return ClientReply(text, act, TALK_OF[act], "floor", rejected, heard)

    def _candidates(self, therapist: str, act: Act, turn: int) -> Iterator[str]:
        """Up to CANDIDATES samples, each drawn only if the one before was refused."""
        if self.model is None:
            return
        messages = self.prompts.messages(self.persona, act, therapist)
        for i in range(CANDIDATES):
            seed = self.seed * 1000 + turn * 10 + i
            result = self.model.invoke(messages, temperature=0.7, seed=seed, max_tokens=48)
            yield _first_sentences(str(result.content))

    def floor(self, therapist: str, act: Act) -> str:
        """The persona's unused written line of this act closest in meaning to what the
        trainee said (every line used: the closest one again)."""
        lines = getattr(self.persona.lines, act)
        fresh = [line for line in lines if line not in self.used_lines] or lines
        vectors = get_embeddings().encode([therapist, *fresh])
        best = fresh[int(np.argmax(vectors[1:] @ vectors[0]))]
        self.used_lines.add(best)
        return best


def _talk_of(therapist: str, client: str) -> str | None:
    coded = code_conversation([("therapist", therapist), ("client", client)])
    return coded.utterances[1].talk_type


def _first_sentences(text: str, limit: int = 2) -> str:
    """The reply's first sentences, without quotes or a speaker label the model added."""
    text = re.sub(r"^\s*[\w .'-]{1,30}:\s*", "", text.strip()).strip().strip('"')
    parts = re.findall(r"[^.!?]+[.!?]+", text) or [text]
    return " ".join(p.strip() for p in parts[:limit]).strip()


__all__ = ["ClientReply", "PracticePrompts", "SimulatedClient", "client_problems"]
