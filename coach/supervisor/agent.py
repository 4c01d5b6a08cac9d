"""The AI supervisor: retrieve, assemble the prompt, stream the reply, record the turn."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.errors import CoachError, InputError
from coach.knowledge.retriever import Passage, Retriever
from coach.llm.backends import backend_error, get_chat_model
from coach.llm.templates import PromptTemplate, load_template, prompt_version
from coach.llm.tokens import count_tokens, encoding
from coach.settings import Settings
from coach.storage.store import Store
from coach.supervisor.coherence.overlap import words
from coach.supervisor.guard import LABELS, Detection, Guard, asks_for_roleplay, boundary_reply
from coach.supervisor.guidance import Guidance, Guide, GuidedReply, Revision
from coach.supervisor.moves import load_moves, pick_move

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HISTORY_MARGIN_TOKENS = 64  # cl100k counts only approximate the model's own tokenizer
# History is dropped this many messages at a time, so consecutive prompts share a prefix and
# the embedded model's KV cache stays valid between turns (see build_messages).
HISTORY_BLOCK = 8
COMPOSITIONS = 6  # tried in order before the model is asked (coach.supervisor.floor)
CHECKPOINT_SECONDS = 0.5  # how often a streaming reply's partial text is saved
SUMMARY_SUPPORT = 0.5  # share of a closing summary's claims found in the trainee's own words
FOCUS_LABELS = {
    "client": "supporting a client's integration work",
    "skills": "the trainee's own MI skills",
    "selfcare": "the trainee's self-care and burnout",
}


def clean_message(message: str, max_chars: int) -> str:
    """Drop control characters and surrounding space; reject empty or oversized input."""
    text = CONTROL_CHARS.sub("", message or "").strip()
    if not text:
        raise InputError("The message is empty; write what you would like to talk about.")
    if len(text) > max_chars:
        raise InputError(
            f"The message is {len(text):,} characters long; the limit is "
            f"{max_chars:,} (MIE_MAX_MESSAGE_CHARS)."
        )
    return text


def excerpt(text: str, max_tokens: int) -> str:
    tokens = encoding().encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        return text
    return encoding().decode(tokens[:max_tokens]).rsplit(" ", 1)[0] + " …"


@dataclass
class TurnResult:
    reply: str
    sources: list[Passage]
    model: str
    backend: str
    prompt_version: str
    timings_ms: dict[str, float]
    session_id: str | None = None
    status: str = "complete"  # complete | interrupted | failed
    error: str | None = None
    guidance: Guidance | None = None
    flags: list[str] = field(default_factory=list)  # safety categories; empty when none

    def source_list(self) -> list[dict[str, Any]]:
        """One entry per document (its best-scoring passage), best first."""
        best: dict[str, Passage] = {}
        for p in self.sources:
            if p.doc_id not in best or p.score > best[p.doc_id].score:
                best[p.doc_id] = p
        return [
            {"id": p.doc_id, "title": p.title, "score": p.score}
            for p in sorted(best.values(), key=lambda p: -p.score)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "reply": self.reply,
            "sources": self.source_list(),
            "model": self.model,
            "backend": self.backend,
            "prompt_version": self.prompt_version,
            "timings_ms": self.timings_ms,
            "session_id": self.session_id,
            "guidance": self.guidance.summary() if self.guidance else None,
            "flags": self.flags,
        }


@dataclass
class Turn:
    """One supervisor turn in flight: iterate it for reply text, then read ``result``.

    Iteration yields text pieces (``str``), and in the guided modes at most one final
    ``Revision`` whose text replaces everything shown before it (see coach.supervisor.guidance).
    ``stop()`` ends the stream early; the text shown so far is kept with status
    ``interrupted``.
    """

    agent: Supervisor
    messages: list[BaseMessage]
    sources: list[Passage]
    session_id: str | None
    timings_ms: dict[str, float]
    started: float
    message: str = ""
    focus: str = "open"
    move: str = "reflect_question"
    earlier: list[str] = field(default_factory=list)  # the session's replies so far
    detections: list[Detection] = field(default_factory=list)
    offer: str | None = None  # a composed reply that gives an idea asked for (supervisor.offers)
    request: str = ""  # what the offer answers: this message, or the request and this answer
    result: TurnResult | None = None
    guidance: Guidance | None = None
    _stopped: bool = field(default=False, repr=False)
    # The reply's row, written as "streaming" once text shows and kept current, so a crash
    # mid-reply leaves the partial text to be marked interrupted (Store.recover_streaming).
    _row: int | None = field(default=None, repr=False)
    _saved_at: float = field(default=0.0, repr=False)

    def _checkpoint(self, shown: str) -> None:
        store = self.agent.store
        if not (store and self.session_id and shown.strip()):
            return
        now = time.perf_counter()
        if self._row is None:
            self._row = store.add_message(
                self.session_id, "supervisor", shown.strip(), status="streaming"
            )
        elif now - self._saved_at >= CHECKPOINT_SECONDS:
            store.update_message(self._row, content=shown.strip())
        else:
            return
        self._saved_at = now

    def stop(self) -> None:
        self._stopped = True

    def _pieces(self) -> Iterator[str | Revision]:
        agent, settings = self.agent, self.agent.settings
        if self.detections:  # the guard answers: a fixed boundary reply, no model draft
            self.guidance = Guidance(mode="guard")
            yield boundary_reply(
                agent.guide.boundaries, [d.category for d in self.detections], settings
            )
        elif self.offer and (kept := self._verified_offer()):
            yield kept
        elif (
            settings.composed_design
            and settings.guidance_mode != "plain"
            and not asks_for_roleplay(self.message)  # a practice request wants a client's line
            and (composed := self._verified_composition())
        ):
            yield composed
        elif settings.guidance_mode == "plain":
            self.guidance = Guidance(mode="plain")
            for chunk in agent.chat_model.stream(self.messages):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        else:
            reply = GuidedReply(
                agent.guide,
                agent.chat_model,
                self.messages,
                self.message,
                self.sources,
                self.focus,
                asks_for_roleplay(self.message),
                lambda: self._stopped,
                agent.seed,
                earlier=self.earlier,
                move=self.move,
            )
            self.guidance = reply.guidance
            yield from reply

    def _verified_composition(self) -> str | None:
        """The first composition (the trainee's words said back, a written question for the
        move) that passes every check; when none does, the model is asked as usual."""
        guide = self.agent.guide
        texts = guide.floor.replies(self.message, self.move, self.focus, self.earlier, COMPOSITIONS)
        scored = guide.score(self.message, texts, self.sources, False, self.earlier)
        chosen = next((i for i, c in enumerate(scored) if c.acceptable), None)
        if chosen is None:
            return None
        # Wording built for the request (a menu of reflections, open versions of questions)
        # informs: the next turn is not an answer to a permission ask (reading set 20: the
        # turn after a menu got a written idea for the menu's request).
        built = texts[chosen] in guide.floor.example(self.message, self.earlier)
        self.guidance = Guidance(
            mode=self.agent.settings.guidance_mode,
            move="inform" if built else self.move,
            candidates=scored,
            chosen=chosen,
            floor=True,
        )
        self.guidance.codes = scored[chosen].codes  # coded already, in the scoring
        return texts[chosen]

    def _verified_offer(self) -> str | None:
        """The composed offer, when it passes the checks a written reply can fail: safety,
        MI adherence, role, copying and repetition. Its relevance is its match to the bank
        entry, and its open question is checked when the bank loads. Otherwise the turn is
        generated as usual."""
        guide = self.agent.guide
        assert self.offer is not None
        # Scored against the request it answers: after a permission ask, "yes please" alone
        # says little of what the idea should be about.
        [candidate] = guide.score(
            self.request or self.message, [self.offer], self.sources, False, self.earlier
        )
        failed = set(candidate.incoherent) - {"relevance"}
        if candidate.unsafe or candidate.non_adherent or failed or not candidate.fits_length:
            return None
        self.guidance = Guidance(
            mode=self.agent.settings.guidance_mode, move="inform", candidates=[candidate], chosen=0
        )
        return candidate.text

    def __iter__(self) -> Iterator[str | Revision]:
        shown = ""
        status, error = "complete", None
        failure: CoachError | None = None
        llm_start = time.perf_counter()
        pieces = self._pieces()
        try:
            for piece in pieces:
                shown = piece.text if isinstance(piece, Revision) else shown + piece
                if "first_token" not in self.timings_ms and shown.strip():
                    self.timings_ms["first_token"] = _ms(self.started)
                self._checkpoint(shown)
                yield piece
                if self._stopped:
                    status = "interrupted"
                    break
            if self._stopped:  # also when the stop came between pieces, while sampling
                status = "interrupted"
            if not shown.strip() and status == "complete":
                failure = CoachError("The model returned an empty reply; try again.")
                status, error = "failed", str(failure)
        except GeneratorExit:
            status = "interrupted"
            raise
        except Exception as exc:
            failure = backend_error(exc, self.agent.settings)
            status, error = "failed", str(failure)
        finally:
            pieces.close()
            self.timings_ms["llm"] = _ms(llm_start)
            self.timings_ms["total"] = _ms(self.started)
            self._finish(shown.strip(), status, error)
        if failure:
            raise failure

    def run(self) -> TurnResult:
        """Consume the stream and return the finished turn."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result

    def _finish(self, reply: str, status: str, error: str | None) -> None:
        agent = self.agent
        guidance = self.guidance
        if guidance and reply and status == "complete" and not guidance.codes:
            guidance.codes = [
                m.value for m in agent.guide.code(self.message, [reply])[0].miti_codes
            ]
        flags = [d.category for d in self.detections]
        if guidance and guidance.replaced_unsafe:
            flags += guidance.replaced_unsafe
            if agent.store and self.session_id:
                agent.store.flag_session(
                    self.session_id, "unsafe draft replaced: " + ", ".join(guidance.replaced_unsafe)
                )
        self.result = TurnResult(
            reply=reply,
            sources=self.sources,
            model=agent.model_name,
            backend=agent.settings.llm_backend,
            prompt_version=agent.prompt_version,
            timings_ms={k: round(v, 1) for k, v in self.timings_ms.items()},
            session_id=self.session_id,
            status=status,
            error=error,
            guidance=guidance,
            flags=list(dict.fromkeys(flags)),
        )
        if agent.store and self.session_id:
            fields = dict(
                content=reply,
                status=status,
                error=error,
                model=agent.model_name,
                backend=agent.settings.llm_backend,
                prompt_version=agent.prompt_version,
                sources=[
                    {"id": p.doc_id, "title": p.title, "heading": p.heading, "score": p.score}
                    for p in self.sources
                ],
                timings_ms=self.result.timings_ms,
                guidance_mode=guidance.mode if guidance else None,
                candidates=len(guidance.candidates) if guidance else None,
                guidance=guidance.to_json() if guidance else None,
                flags=self.result.flags,
            )
            if self._row is None:
                agent.store.add_message(self.session_id, "supervisor", **fields)
            else:
                agent.store.update_message(self._row, **fields)


def history_start(costs: list[int], budget: int) -> int:
    """Index of the oldest history message to keep so the rest fits in ``budget`` tokens.

    Each prompt is the previous prompt plus the reply plus the new turn, which lets
    llama.cpp reuse its KV cache and evaluate only the new tokens. Trimming one message per
    turn would shift the prompt every turn and defeat that, so history is dropped in blocks
    of HISTORY_BLOCK messages and the cache is rebuilt only when a block goes.
    """
    tail = [0] * (len(costs) + 1)
    for i in range(len(costs) - 1, -1, -1):
        tail[i] = tail[i + 1] + costs[i]
    on_grid = (s for s in range(0, len(costs), HISTORY_BLOCK) if tail[s] <= budget)
    anywhere = (s for s in range(len(costs)) if tail[s] <= budget)
    start = next(on_grid, None)
    return start if start is not None else next(anywhere, len(costs))


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class Supervisor:
    """The MIE-IS supervisor agent. Collaborators are injectable for tests and the web app."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever | None = None,
        chat_model: BaseChatModel | None = None,
        store: Store | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.seed = seed  # candidate i samples with seed + i; None: the backend's own
        self.template: PromptTemplate = load_template(settings.prompts_dir / "supervisor.yaml")
        self.moves = load_moves(settings.prompts_dir / "moves.yaml")
        self.prompt_version = prompt_version(settings.prompts_dir)
        self.chat_model = chat_model or get_chat_model(settings)
        self.retriever = retriever or Retriever(settings)
        self.store = store
        self.model_name = settings.model
        self.guide = Guide(settings)
        self.safety_judge = None
        self.guard: Guard | None = None
        if settings.safety_guard:
            if settings.safety_judge == "llm":
                from coach.supervisor.guard import SafetyJudge

                self.safety_judge = SafetyJudge(settings, self.chat_model)
            self.guard = Guard(judge=self.safety_judge)
        # The system text and examples never change, so they are built and counted once.
        self.prefix: list[BaseMessage] = [SystemMessage(self.template.render("system"))]
        for example in self.template.examples:
            self.prefix += [HumanMessage(example.trainee), AIMessage(example.supervisor)]

    @classmethod
    def open(cls, settings: Settings) -> Supervisor:
        """A supervisor that records every turn in the configured database."""
        from coach.storage.db import open_database

        return cls(settings, store=Store(open_database(settings)))

    def build_messages(
        self,
        message: str,
        passages: list[Passage],
        history: list[tuple[str, str]],
        focus: str = "open",
        opening: str | None = None,
        move: str | None = None,
    ) -> list[BaseMessage]:
        """System text and examples first, then as much recent history as fits, then the
        notes and the new message. Plain mode uses the template's fixed examples. The
        guided modes pick the exemplars that fit the session's ``opening`` message (this
        one, in a new session) and keep them for the whole session: the prompt then only
        grows, and the embedded model's KV cache holds everything but the new turn.

        In the moves design (small models), the prompt is the move's narrow task and the
        message alone: no exemplars to copy, no history to speak for."""
        if self.settings.moves_design and self.settings.guidance_mode != "plain":
            return [
                SystemMessage(self.moves.system_for(move or pick_move(message))),
                HumanMessage(message),
            ]
        shown = [
            {
                "doc_id": p.doc_id,
                "title": p.title,
                "heading": p.heading,
                "excerpt": excerpt(p.text, self.settings.passage_tokens),
            }
            for p in passages
        ]
        focus_label = FOCUS_LABELS.get(focus)
        user = HumanMessage(
            self.template.render("user", passages=shown, focus=focus_label, message=message)
        )
        prefix = self.prefix
        if self.settings.guidance_mode != "plain":
            prefix = self.prefix[:1]
            for example in self.guide.picker.pick(
                opening or message, focus, self.settings.exemplars
            ):
                prefix += [HumanMessage(example.trainee), AIMessage(example.supervisor)]
        fixed = sum(count_tokens(str(m.content)) + 4 for m in [*prefix, user])
        budget = (
            self.settings.context_tokens - self.settings.max_tokens - fixed - HISTORY_MARGIN_TOKENS
        )
        start = history_start([count_tokens(text) + 4 for _, text in history], budget)
        kept = [
            HumanMessage(text) if role == "trainee" else AIMessage(text)
            for role, text in history[start:]
        ]
        return [*prefix, *kept, user]

    def turn(
        self,
        message: str,
        session_id: str | None = None,
        focus: str = "open",
        channel: str = "cli",
        user_id: int | None = None,
    ) -> Turn:
        """Start a turn: validation, retrieval and prompt assembly happen now, generation
        happens as the returned ``Turn`` is iterated. With a store and no ``session_id``, a
        new session is created, only once the input has passed validation."""
        started = time.perf_counter()
        if focus != "open" and focus not in FOCUS_LABELS:
            raise InputError(f"Unknown focus '{focus}'; use client, skills, selfcare or open.")
        message = clean_message(message, self.settings.max_message_chars)
        history: list[tuple[str, str]] = []
        opening = previous_message = previous_move = None
        if self.store and session_id:
            self.store.require_session(session_id)
            history = self.store.history(session_id)
            opening = self.store.opening_message(session_id)
            previous_message, previous_move = self.store.last_exchange(session_id)
        detections: list[Detection] = []
        timings: dict[str, float] = {}
        if self.guard:
            t = time.perf_counter()
            # The previous message is read with this one, unless it was flagged already: a
            # crisis that has been answered is not raised again by the trainee's next words.
            earlier = (
                self.store.trainee_messages(session_id, unflagged=True)[-1:]
                if self.store and session_id
                else []
            )
            detections = self.guard.screen(message, earlier)
            timings["guard"] = _ms(t)
        t = time.perf_counter()
        passages = self.retriever.search(message)
        timings["retrieval"] = _ms(t)
        t = time.perf_counter()
        move = pick_move(message)
        earlier = [text for role, text in history if role == "supervisor"]
        offer, request = None, ""
        if (
            self.settings.moves_design
            and self.settings.guidance_mode != "plain"
            and not asks_for_roleplay(message)  # a practice request wants a client's line
        ):
            match, request = self.guide.offers.plan(
                message, previous_message, previous_move, earlier
            )
            offer = self.guide.offers.reply(match, earlier) if match else None
            if offer and self.guide.floor.builds_for(message, earlier):
                offer = None  # wording built from the client's own line beats a written one
            if move == "permission" and offer is None and self._promised(earlier):
                # A promise of "a few thoughts" the bank could not keep is not made twice in
                # one session: the trainee's words are reflected with a question instead. (Not
                # making it at all when the bank holds nothing near was tried in session 11;
                # read blind on fresh reading set 18, the promise was preferred all 3 times.)
                move = "reflect_question"
        messages = self.build_messages(message, passages, history, focus, opening, move)
        timings["prompt"] = _ms(t)
        if self.store:
            session_id = session_id or self.store.create_session(
                focus=focus, channel=channel, user_id=user_id
            )
            # Saved before the model runs, so a crash mid-generation never loses it.
            flags = [d.category for d in detections]
            message_id = self.store.add_message(
                session_id,
                "trainee",
                message,
                prompt=str(messages[-1].content),
                flags=flags or None,
            )
            if detections:  # flagged before the reply, so a failed reply cannot lose it
                position = self.store.message_position(session_id, message_id)
                self.store.flag_session(
                    session_id,
                    f"message {position}: "
                    + "; ".join(
                        f"{LABELS[d.category]} ({d.layer}: {d.evidence})" for d in detections
                    ),
                )
        return Turn(
            self,
            messages,
            passages,
            session_id,
            timings,
            started,
            message=message,
            focus=focus,
            move=move,
            earlier=earlier,
            detections=detections,
            offer=offer,
            request=request,
        )

    def _promised(self, earlier: Sequence[str]) -> bool:
        """Whether the session already heard the supervisor offer to share thoughts."""
        said = " ".join(" ".join(words(e)) for e in earlier)
        return any(" ".join(words(p)) in said for p in self.guide.floor.data.permission)

    def closing_summary(self, session_id: str) -> str:
        """An MI-style summary of the session for its end (``prompts/session_summary.yaml``):
        what the trainee brought, their own ideas and strengths, and an invitation to name
        their next steps."""
        if not self.store:
            raise CoachError("Summaries need a database to read the session from.")
        complete = [m for m in self.store.messages(session_id) if m.status == "complete"]
        lines = [
            f"{'Trainee' if m.role == 'trainee' else 'Supervisor'}: {m.content}" for m in complete
        ]
        said = [m.content for m in complete if m.role == "trainee"]
        if not lines or not said:
            raise InputError("The session has no messages to summarise yet.")
        template = load_template(self.settings.prompts_dir / "session_summary.yaml")
        transcript = excerpt("\n".join(lines[-12:]), self.settings.context_tokens // 2)
        messages = [
            SystemMessage(template.render("system")),
            HumanMessage(template.render("user", transcript=transcript)),
        ]
        try:
            reply = self.chat_model.invoke(messages, max_tokens=160)
        except Exception as exc:
            raise backend_error(exc, self.settings) from exc
        text = str(reply.content).strip()
        if not self.summary_holds(text, said):
            # A summary must be about what was said, to this trainee; a small model's often
            # is not, and then one is composed from the trainee's own words.
            text = self.guide.floor.summary(said)
        return text

    def summary_holds(self, summary: str, said: list[str]) -> bool:
        """The coherence checks, read against the whole session: spoken to the trainee,
        nothing copied, about what the trainee said (relevance to their messages, and most
        of its claims found in their words)."""
        from coach.knowledge.grounding import lexical_support

        if not summary:
            return False
        [coherent] = self.guide.coherence.check(" ".join(said), [summary])
        support = lexical_support(summary, [], said)
        return coherent.passed and support.share >= SUMMARY_SUPPORT
