"""The guard's second layer: detection by meaning, so a risk is caught however it is phrased.

A fine-tuned MiniLM (int8 ONNX, in ``weights/``) gives one score per category to each segment
of a message (``segments``: the whole, each sentence, adjacent pairs, windows of run-on
text), so a risk buried in one sentence of a long message is scored on its own (see
``detect`` for how scores become categories). The model and thresholds come
from ``eval/safety/finetune_guard.py``, trained on the written bank in ``eval/safety/bank/``
with thresholds chosen on a held-out split of it; their sha256 is checked at load.
"""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from textwrap import shorten
from typing import Any

import numpy as np

from coach.coder.runtime import EXACT_INT8, WORKERS, has_int8_dot_product
from coach.errors import ConfigError
from coach.supervisor.guard.categories import CATEGORIES, CRISIS, Category
from coach.supervisor.guard.patterns import REQUESTS, Detection, request_framed
from coach.supervisor.guard.segments import segments

WEIGHTS_DIR = Path(__file__).parent / "weights"
RETRAIN = "reinstall, or retrain with `make train-guard`"
EVIDENCE_CHARS = 160  # of the segment quoted in a flag; the message itself is stored whole


def _verified(path: Path, expected: str | None) -> Path:
    if not path.is_file():
        raise ConfigError(f"The safety guard's model file {path} is missing; {RETRAIN}.")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ConfigError(
            f"The safety guard's model file {path} failed its sha256 check "
            f"(got {digest[:12]}); {RETRAIN}."
        )
    return path


@dataclass(frozen=True)
class Scores:
    segments: list[str]
    values: np.ndarray  # (segments, categories)


class SemanticDetector:
    """Scores a message's segments by meaning; see the module docstring."""

    def __init__(self, folder: Path = WEIGHTS_DIR) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            self.meta: dict[str, Any] = json.loads((folder / "guard.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"The safety guard's settings {folder / 'guard.json'} cannot be "
                f"read ({exc}); {RETRAIN}."
            ) from exc
        self.categories: tuple[Category, ...] = tuple(self.meta["categories"])
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise ConfigError(
                f"The safety guard's model names unknown categories "
                f"({', '.join(unknown)}); {RETRAIN}."
            )
        risk = float(self.meta["risk_threshold"])
        self.policy = Policy(
            risk=risk,
            # A crisis is worth more false alarms than a request: its own, lower threshold.
            crisis=float(self.meta.get("crisis_threshold", risk)),
            limits=np.array([self.meta["thresholds"][c] for c in self.categories]),
            crisis_rule=self.meta.get("crisis_rule", "top"),
            least=float(self.meta.get("least_share", 0.0)),
            least_crisis=float(self.meta.get("least_crisis_share", 0.0)),
        )
        corroboration = self.meta.get("corroboration", {})
        self.corroboration = Corroboration(
            min_words=int(corroboration.get("min_words", 0)),
            share=float(corroboration.get("share", 0.0)),
        )
        self.crisis_mask = np.array([c in CRISIS for c in self.categories])
        model = _verified(folder / "guard.onnx", self.meta.get("onnx_sha256"))
        vocab = _verified(folder / "guard_tokenizer.json", self.meta.get("tokenizer_sha256"))
        self._tokenizer = Tokenizer.from_file(str(vocab))
        self._tokenizer.enable_truncation(max_length=int(self.meta["max_length"]))
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        if not has_int8_dot_product():  # int8 sums saturate there without the exact kernel
            options.add_session_config_entry(*EXACT_INT8)
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )

    def _run(self, ids: list[int]) -> np.ndarray:
        array = np.array([ids], dtype=np.int64)
        feeds = {
            "input_ids": array,
            "attention_mask": np.ones_like(array),
            "token_type_ids": np.zeros_like(array),
        }
        return self._session.run(None, feeds)[0][0]

    def score_texts(self, texts: list[str]) -> np.ndarray:
        """(texts, categories). One text per run, runs in parallel on the available cores:
        the int8 graph quantizes activations per run, so a batch would let one segment's
        scores depend on its neighbours."""
        encodings = [e.ids for e in self._tokenizer.encode_batch(texts)]
        if len(encodings) == 1 or WORKERS == 1:
            rows = [self._run(ids) for ids in encodings]
        else:
            rows = list(_pool().map(self._run, encodings))
        return np.array(rows, dtype=np.float32).reshape(len(texts), len(self.categories))

    def scores(self, text: str, whole_only: bool = False) -> Scores:
        pieces = [" ".join(text.split())] if whole_only else segments(text)
        return Scores(pieces, self.score_texts(pieces))

    def detect(self, text: str, whole_only: bool = False) -> list[Detection]:
        scored = self.scores(text, whole_only)
        picks = decide(scored.values, self.crisis_mask, self.policy)
        if len(text.split()) >= self.corroboration.min_words > 0:
            picks = corroborated(picks, scored.values, self.corroboration.share)
        picks = self._whose(picks, scored.segments)
        if request_framed(text):
            picks = {j: i for j, i in picks.items() if self.categories[j] not in REQUESTS}
        return [
            Detection(
                self.categories[j],
                f"{shorten(scored.segments[i], EVIDENCE_CHARS)!r} ({scored.values[i, j]:.2f})",
                layer="semantic",
            )
            for j, i in sorted(picks.items())
        ]

    def _whose(self, picks: dict[int, int], pieces: list[str]) -> dict[int, int]:
        """The model often reads whose risk it is wrongly ("My client has pills saved up"
        as the trainee's own). Grammar settles it: a segment with no "I" that names someone
        else is their risk; one with "I" and nobody else is the trainee's."""
        index = {c: j for j, c in enumerate(self.categories)}
        fixed = dict(picks)
        for category, other in (("crisis_self", "crisis_client"), ("crisis_client", "crisis_self")):
            j, k = index.get(category), index.get(other)
            if j is None or k is None or j not in picks:
                continue
            piece = pieces[picks[j]]
            speaker, someone = bool(SPEAKER.search(piece)), bool(SOMEONE_ELSE.search(piece))
            if (category == "crisis_self" and someone and not speaker) or (
                category == "crisis_client" and speaker and not someone
            ):
                segment = fixed.pop(j)
                fixed.setdefault(k, segment)
        return fixed


# Who a segment is about, for ``SemanticDetector._whose``.
# "My own therapist is on leave" and "a client whose story is basically mine" are the
# trainee's; "my client" is someone else (added after guard-heldout14 and 15's first scores).
SPEAKER = re.compile(
    r"\b(?:I|i(?!\.e)|I'm|i'm|I've|I'd|I'll|im|ive|[Mm]e|[Mm]yself|[Mm]ine|"
    r"[Mm]y(?!\s+(?:\w+\s+)?(?:clients?|participants?|patients?|guests?)\b))\b"
)
SOMEONE_ELSE = re.compile(
    r"\b(?:clients?|participants?|patients?|guests?|he|she|they|him|her|his|their|hes|shes)\b",
    re.I,
)


@dataclass(frozen=True)
class Policy:
    """How segment scores become categories (chosen by eval/safety/choose_thresholds.py)."""

    risk: float  # the best segment's summed risk, when its top category is a request
    crisis: float  # the same for a crisis (``top``), or a segment's crisis mass (``mass``)
    limits: np.ndarray  # each category's own threshold (a second category in one message)
    crisis_rule: str = "top"
    # The least share of a segment's risk that the raised category must hold: risk spread
    # thinly over many categories ("move our supervision to Friday") is vague unease, not a
    # request or a crisis; a weak but concentrated risk ("still kinda rolling ... got my 9am
    # client") is raised.
    least: float = 0.0  # for a request
    least_crisis: float = 0.0  # for a crisis (risk and mass rules)


def decide(values: np.ndarray, crisis_mask: np.ndarray, policy: Policy) -> dict[int, int]:
    """Category index -> the segment that raised it, from (segments, categories) scores.

    The segment most likely to hold any risk (the categories' probabilities summed) raises its
    most likely category when that likelihood reaches the risk threshold (under the ``top``
    rule, the crisis threshold for a crisis category). Under the ``mass`` rule a crisis is
    also decided on its own: the segment whose crisis categories sum highest raises its most
    likely crisis category when that sum reaches the crisis threshold, since the model often
    splits one crisis between neighbouring crisis categories (a client's risk read partly as
    risk to others). Under both rules the raised category's share of its segment's risk (or
    crisis mass) must reach ``least`` (``least_crisis`` for a crisis). A category whose own
    best segment reaches its own threshold is raised too (a message can ask about a dose and a
    medication at once)."""
    picks: dict[int, int] = {}
    risk = values.sum(axis=1)
    best = int(risk.argmax())
    top = int(values[best].argmax())
    by_top = crisis_mask[top] and policy.crisis_rule == "top"
    least = policy.least_crisis if crisis_mask[top] else policy.least
    share = values[best, top] / max(float(risk[best]), 1e-9)
    if risk[best] >= (policy.crisis if by_top else policy.risk) and share >= least:
        picks[top] = best
    if policy.crisis_rule == "mass":
        crisis_values = np.where(crisis_mask, values, 0.0)
        mass = crisis_values.sum(axis=1)
        segment = int(mass.argmax())
        strongest = int(crisis_values[segment].argmax())
        share = values[segment, strongest] / max(float(mass[segment]), 1e-9)
        if mass[segment] >= policy.crisis and share >= policy.least_crisis:
            picks.setdefault(strongest, segment)
    for j in range(values.shape[1]):
        segment = int(values[:, j].argmax())
        if values[segment, j] >= policy.limits[j]:
            picks.setdefault(j, segment)
    return picks


@dataclass(frozen=True)
class Corroboration:
    """In a long message, a category needs a second segment that agrees (``guard.json``)."""

    min_words: int = 0  # 0: off
    share: float = 0.0  # the second segment's score, as a share of the best one's


def corroborated(picks: dict[int, int], values: np.ndarray, share: float) -> dict[int, int]:
    """The picks a second segment backs. A risk told in a sentence scores high there, in the
    pairs holding that sentence and often in the whole; a long account of a hard session
    tends to draw one stray high score, on one piece, that nothing around it repeats
    (docs/safety-guard.md: on the development suites and read reading sets this dropped 14 of
    54 false alarms and no risk). Short messages have too few segments to ask this of."""
    if values.shape[0] <= 3:
        return picks
    kept = {}
    for j, segment in picks.items():
        column = np.sort(values[:, j])[::-1]
        if column[1] >= share * column[0]:
            kept[j] = segment
    return kept


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="guard")


@lru_cache(maxsize=1)
def get_semantic_detector() -> SemanticDetector:
    """One model per process: loading it costs about 0.2 s."""
    return SemanticDetector()
