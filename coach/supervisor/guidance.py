"""MI-guided generation: the coder and the safety detectors check every draft reply before
the trainee sees it.

How streaming and selection fit together (``check`` and ``best_of_n``):

1. The first candidate streams through a sentence gate (in ``check`` mode it is held until
   the whole draft has passed, so a passing draft is never revised). Each sentence is shown
   only once it is complete and has passed the safety detectors, the coder (no Confront, no Persuade
   without permission) and the coherence checks a sentence can fail alone (role, copying,
   repetition; ``coach.supervisor.coherence``). A sentence that fails is never shown; the
   stream goes on with the next one.
2. Further candidates are sampled: in ``best_of_n`` always N-1 more (in parallel on an
   OpenAI-compatible server; one after another on the embedded model, which reuses the
   cached prompt), in ``check`` one more at a time while none has passed, up to N in all.
3. Every candidate is scored (``Guide.score``); the draft competes as the trainee sees it
   (its gated sentences). The best is kept, but an acceptable draft stays unless another
   candidate beats it by more than REVISION_MARGIN, since a revision costs a re-read. If the
   winner still lacks a reflection or an open question, or is non-adherent, it is repaired:
   failing sentences are dropped and an open question that fits the focus is added. A
   candidate that fails a coherence check is never acceptable; when none passes and the
   repair does not either, the verified floor answers (``coach.supervisor.floor``). If every
   candidate was unsafe, the fallback reply replaces them and the session is flagged.
4. When the final reply differs from what was shown, the stream ends with a ``Revision``
   carrying the full text, and the UI marks the reply as revised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from coach.coder import code_many
from coach.coder.codes import MI_ADHERENT, REFLECTIONS, Miti, UtteranceCodes
from coach.knowledge.grounding import Evidence, lexical_support
from coach.settings import Settings
from coach.supervisor.coherence import coherence_checker
from coach.supervisor.exemplars import ExemplarPicker, exemplar_picker
from coach.supervisor.floor import floor_for
from coach.supervisor.guard import CRISIS, boundary_reply, detect_patterns, load_boundaries
from coach.supervisor.offers import offers_for
from coach.supervisor.safety import reply_findings

# A reply that speaks for the model or the client breaks the supervisor's role.
DRAFT_CATEGORY = {
    "dosing": "dosing",
    "sourcing": "sourcing",
    "legal_advice": "legal",
    "diagnosis": "diagnosis",
    "ai_disclaimer": "role_drop",
    "plays_other_role": "role_drop",
}
REVISION_MARGIN = 1.0  # points by which a candidate must beat the shown draft to replace it
# Prompt format a small model copies into its reply: quote marks, bold, and "[doc-id]" labels.
MARKUP = re.compile(r"^\s*>+\s*|\*+|\[[\w' -]+\]\s*|^\s*(?:Supervisor|Trainer)\s*:\s*", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\s*\n+\s*")


@dataclass(frozen=True)
class Revision:
    """Replaces everything a turn has shown so far: the MI check chose another reply."""

    text: str


@dataclass
class Candidate:
    text: str
    score: float = 0.0
    codes: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)  # safety categories found in the text
    reflection: bool = False
    open_question: bool = False
    complex_reflection: bool = False
    non_adherent: bool = False
    fits_length: bool = True
    incoherent: dict[str, str] = field(default_factory=dict)  # coherence check -> reason
    relevance: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        """Safe, MI-adherent, coherent, of a fitting length, and reflecting or asking an
        open question."""
        return (
            not self.unsafe
            and not self.non_adherent
            and self.fits_length
            and not self.incoherent
            and (self.reflection or self.open_question)
        )


@dataclass
class Guidance:
    """What guided generation did for one reply; stored with it."""

    mode: str
    move: str | None = None  # the MI move asked of the model (supervisor.moves), if decomposed
    candidates: list[Candidate] = field(default_factory=list)
    chosen: int | None = None
    floor: bool = False  # composed from written parts (the composed design, or none passed)
    repaired: bool = False
    revised: bool = False
    replaced_unsafe: list[str] = field(default_factory=list)  # flags when every draft failed
    codes: list[str] = field(default_factory=list)  # the final reply's MI codes

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """What ``mie-coach ask --json`` shows."""
        return {
            "mode": self.mode,
            "move": self.move,
            "candidates": len(self.candidates),
            "codes": self.codes,
            "repaired": self.repaired,
            "revised": self.revised,
            "floor": self.floor,
        }


def sentences(chunks: Iterable[str], limit: int) -> Iterator[str]:
    """Complete sentences from a stream of text pieces, at most ``limit``, ending at the
    first question: an MI reply hands the turn back with it, and generation stops there. An
    unfinished last sentence (cut off by the token cap) is dropped unless it is the only one."""
    buffer, count = "", 0
    for chunk in chunks:
        buffer += chunk
        while match := SENTENCE_END.search(buffer):
            sentence, buffer = buffer[: match.start()].strip(), buffer[match.end() :]
            sentence = tidy(sentence + match.group(0).strip())
            if sentence:
                yield sentence
                count += 1
                if count >= limit or sentence.endswith("?"):
                    return
    tail = tidy(buffer)
    if tail and (count == 0 or tail[-1] in ".!?"):
        yield tail


def tidy(sentence: str) -> str:
    return " ".join(MARKUP.sub("", sentence).split())


def draft_problems(text: str, roleplay: bool = False) -> list[str]:
    """Safety categories in a draft reply: advice it must never give, crisis content the
    trainee did not raise, or speaking as anyone but the supervisor."""
    found = [
        DRAFT_CATEGORY[f.category]
        for f in reply_findings(text)
        if not (roleplay and f.category == "plays_other_role")
    ]
    found += [d.category for d in detect_patterns(text) if d.category in CRISIS]
    return list(dict.fromkeys(found))


class Guide:
    """Scores, gates and repairs draft replies with the offline coder."""

    def __init__(self, settings: Settings, picker: ExemplarPicker | None = None) -> None:
        self.settings = settings
        self.picker = picker or exemplar_picker(settings.prompts_dir / "exemplars.yaml")
        self.boundaries = load_boundaries(settings.prompts_dir / "boundaries.yaml")
        self.coherence = coherence_checker(settings.prompts_dir)
        self.floor = floor_for(settings.prompts_dir)
        self.offers = offers_for(settings.prompts_dir)

    def code(self, message: str, texts: Sequence[str]) -> list[UtteranceCodes]:
        """Each text coded as the counsellor's reply to ``message``."""
        coded = code_many([[("client", message), ("therapist", t)] for t in texts])
        return [c.utterances[1] for c in coded]

    def closeness(self, message: str, texts: Sequence[str]) -> list[float]:
        """Cosine similarity of each text to the message (MiniLM, normalised vectors)."""
        if not texts:
            return []
        vectors = self.picker.embedder.encode([message, *texts])
        return [max(0.0, float(v @ vectors[0])) for v in vectors[1:]]

    def sentence_ok(
        self,
        sentence: str,
        message: str,
        roleplay: bool,
        earlier: Sequence[str] = (),
        passages: Sequence[str] = (),
    ) -> bool:
        """May this sentence of the streamed draft be shown now?"""
        if draft_problems(sentence, roleplay) or self.coherence.sentence_problems(
            sentence, earlier, passages, message
        ):
            return False
        return not self.code(message, [sentence])[0].mi_non_adherent

    def score(
        self,
        message: str,
        texts: Sequence[str],
        passages: Sequence[Evidence],
        roleplay: bool = False,
        earlier: Sequence[str] = (),
    ) -> list[Candidate]:
        """Points, each with its reason: +3 for a reflection or an open question (+1 more for
        both), +1 for a complex reflection, +0.5 for an Affirm, Seek or Autonomy, up to +1 for
        claims grounded in the passages or the trainee's words, up to +2 for closeness in
        meaning to the message; -2 outside the length bounds, -5 for MI-non-adherence, -8 for
        each failed coherence check (``earlier``: the session's replies so far), -100 for
        anything unsafe or out of role."""
        out = []
        closeness = self.closeness(message, texts)
        coherence = self.coherence.check(message, texts, earlier, [p.text for p in passages])
        for text, codes, near, coherent in zip(
            texts, self.code(message, texts), closeness, coherence, strict=True
        ):
            c = Candidate(text=text, codes=[m.value for m in codes.miti_codes])
            c.incoherent = coherent.blocking
            c.relevance = coherent.relevance
            c.unsafe = draft_problems(text, roleplay)
            c.reflection = any(m in REFLECTIONS for m in codes.miti_codes)
            c.complex_reflection = Miti.COMPLEX_REFLECTION in codes.miti_codes
            c.open_question = codes.question_type == "open"
            c.non_adherent = codes.mi_non_adherent
            points: list[tuple[float, str]] = []
            if c.unsafe:
                points.append((-100, "unsafe: " + ", ".join(c.unsafe)))
            if c.non_adherent:
                points.append((-5, "MI-non-adherent"))
            if c.reflection or c.open_question:
                points.append((3, "reflection or open question"))
            if c.reflection and c.open_question:
                points.append((1, "both"))
            if c.complex_reflection:
                points.append((1, "complex reflection"))
            if any(m.value in c.codes for m in MI_ADHERENT):
                points.append((0.5, "MI-adherent code"))
            n_words = len(text.split())
            c.fits_length = (
                self.settings.min_reply_words <= n_words <= self.settings.max_reply_words
            )
            if not c.fits_length:
                points.append((-2, f"{n_words} words"))
            share = lexical_support(text, passages, [message]).share
            points.append((round(share, 2), f"grounded {share:.0%}"))
            points.append((round(2 * near, 2), f"on topic {near:.2f}"))
            for check, why in c.incoherent.items():
                points.append((-8, f"{check}: {why}"))
            c.score = round(sum(p for p, _ in points), 2)
            c.reasons = [f"{p:+g} {why}" for p, why in points]
            out.append(c)
        return out

    def repair(
        self,
        message: str,
        text: str,
        focus: str,
        roleplay: bool,
        passages: Sequence[Evidence] = (),
        earlier: Sequence[str] = (),
    ) -> str | None:
        """Drop sentences that are unsafe, non-adherent or incoherent; add a written open
        question that fits the message when nothing left reflects or asks one. None when no
        repair passes every check."""
        parts = list(sentences([text + " "], self.settings.reply_sentences))
        coded = self.code(message, parts) if parts else []
        texts = [p.text for p in passages]
        kept = [
            s
            for s, c in zip(parts, coded, strict=True)
            if not c.mi_non_adherent
            and not draft_problems(s, roleplay)
            and not self.coherence.sentence_problems(s, earlier, texts, message)
        ]
        if kept:
            [whole] = self.score(message, [" ".join(kept)], passages, roleplay, earlier)
            if whole.acceptable:
                return whole.text
        # One question, not two. The coder reads the whole reply too, and sentences that pass
        # one by one can still add up to Persuade; drop from the end until the whole passes.
        kept = [s for s in kept if not s.endswith("?")]
        questions = self.floor.questions(message, focus, earlier, 3)
        while kept:
            scored = self.score(
                message, [" ".join([*kept, q]) for q in questions], passages, roleplay, earlier
            )
            if passing := next((c for c in scored if c.acceptable), None):
                return passing.text
            kept.pop()
        return None


def sample(
    model: BaseChatModel,
    messages: list[BaseMessage],
    limit: int,
    stopped: Callable[[], bool],
    **options: Any,
) -> str:
    """One candidate, cut at ``limit`` sentences (generation stops there too)."""
    with closing(model.stream(messages, **options)) as stream:
        return " ".join(sentences(_text(stream, stopped), limit))


def _text(stream: Iterable[Any], stopped: Callable[[], bool] = lambda: False) -> Iterator[str]:
    for chunk in stream:
        if stopped():
            return
        if isinstance(chunk.content, str):
            yield chunk.content


def parallel_backend(settings: Settings) -> bool:
    """Servers take requests side by side; the embedded model runs one at a time."""
    return settings.llm_backend == "openai"


@dataclass
class GuidedReply:
    """One guided reply in flight. Iterate it for text pieces (``str``) and at most one final
    ``Revision``; ``guidance`` holds the record afterwards."""

    guide: Guide
    model: BaseChatModel
    messages: list[BaseMessage]
    message: str
    passages: Sequence[Evidence]
    focus: str
    roleplay: bool
    stopped: Callable[[], bool]
    seed: int | None = None
    earlier: Sequence[str] = ()  # the session's replies so far
    move: str = "reflect_question"
    guidance: Guidance = field(init=False)

    def __post_init__(self) -> None:
        self.guidance = Guidance(mode=self.guide.settings.guidance_mode, move=self.move)
        self.passage_texts = [p.text for p in self.passages]

    def _sample(self, index: int) -> str:
        settings = self.guide.settings
        options: dict[str, Any] = {"temperature": settings.candidate_temperature}
        if self.seed is not None:
            options["seed"] = self.seed + index
        return sample(self.model, self.messages, settings.reply_sentences, self.stopped, **options)

    def _extra(self, count: int) -> list[str]:
        """Candidates 1..count, after the draft (candidate 0)."""
        if count <= 0 or self.stopped():
            return []
        if parallel_backend(self.guide.settings):
            with ThreadPoolExecutor(max_workers=count) as pool:
                return list(pool.map(self._sample, range(1, count + 1)))
        return [self._sample(i) for i in range(1, count + 1)]

    def __iter__(self) -> Iterator[str | Revision]:
        settings, guide = self.guide.settings, self.guide
        mode = settings.guidance_mode
        hold = mode == "check"
        extra = settings.candidates - 1 if mode == "best_of_n" else 0
        pool = (
            ThreadPoolExecutor(max_workers=extra) if parallel_backend(settings) and extra else None
        )
        # On a server the other candidates start now, beside the streamed draft.
        futures = [pool.submit(self._sample, i) for i in range(1, extra + 1)] if pool else []
        shown = ""
        draft_parts: list[str] = []
        options: dict[str, Any] = {"temperature": settings.candidate_temperature}
        if self.seed is not None:
            options["seed"] = self.seed
        # Closed explicitly: the embedded model holds its lock until its stream is closed.
        stream = self.model.stream(self.messages, **options)
        try:
            for sentence in sentences(_text(stream), settings.reply_sentences):
                draft_parts.append(sentence)
                # A failing sentence is skipped, as a repair would drop it; later ones may
                # still be shown. In check mode nothing is shown before the whole draft has
                # passed: a short reply on the embedded model takes about a second, and a
                # reply replaced after the trainee began reading costs more than the wait.
                if not hold and guide.sentence_ok(
                    sentence, self.message, self.roleplay, self.earlier, self.passage_texts
                ):
                    piece = sentence if not shown else " " + sentence
                    shown += piece
                    yield piece
                if self.stopped():
                    return
            stream.close()
            # The draft competes as the trainee sees it: its gated sentences only.
            texts = [shown or " ".join(draft_parts)]
            if pool:
                texts += [f.result() for f in futures]
            elif extra:
                texts += self._extra(extra)
        finally:
            stream.close()
            if pool:
                pool.shutdown(wait=False, cancel_futures=True)
        if self.stopped():
            return
        scored = guide.score(self.message, texts, self.passages, self.roleplay, self.earlier)
        # check: one more sample at a time, until one passes or the budget is spent.
        while (
            mode == "check"
            and not any(c.acceptable for c in scored)
            and len(scored) < settings.candidates
            and not self.stopped()
        ):
            scored += guide.score(
                self.message,
                [self._sample(len(scored))],
                self.passages,
                self.roleplay,
                self.earlier,
            )
        final = self._choose(scored)
        if not final:
            return  # every candidate was empty: the turn fails as an empty reply
        self.guidance.codes = [m.value for m in guide.code(self.message, [final])[0].miti_codes]
        if not shown:
            yield final
        elif final != shown:
            self.guidance.revised = True
            yield Revision(final)

    def _choose(self, scored: list[Candidate]) -> str:
        """The best candidate, repaired if it needs it; the fallback boundary reply when
        every candidate was unsafe; empty when every candidate was empty."""
        g, guide = self.guidance, self.guide
        g.candidates = scored
        written = [c for c in scored if c.text.strip()]
        safe = [i for i, c in enumerate(scored) if not c.unsafe and c.text.strip()]
        if not written:
            return ""
        if not safe:
            # The trainee did not ask for any of this, so the reply is the neutral fallback,
            # not the boundary for a request they never made.
            g.replaced_unsafe = list(dict.fromkeys(u for c in scored for u in c.unsafe))
            return boundary_reply(guide.boundaries, [], guide.settings)
        best = max(safe, key=lambda i: (scored[i].score, -i))
        # A revision costs the trainee a re-read: the shown draft stays unless another
        # candidate is clearly better.
        if (
            0 in safe
            and scored[0].acceptable
            and scored[best].score - scored[0].score <= REVISION_MARGIN
        ):
            best = 0
        g.chosen = best
        if scored[best].acceptable:
            return scored[best].text
        repaired = guide.repair(
            self.message, scored[best].text, self.focus, self.roleplay, self.passages, self.earlier
        )
        if repaired:
            g.repaired = True
            return repaired
        g.floor = True
        return guide.floor.reply(self.message, self.move, self.focus, self.earlier)
