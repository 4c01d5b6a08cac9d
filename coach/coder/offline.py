"""The offline coder: classifier heads on local sentence embeddings, plus MITI rules.

AnnoMI-trained heads give the main behaviour, which of reflection / question / input an
utterance holds, their subtypes, and client talk type. Rules add what AnnoMI does not label.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.coder import rules
from coach.coder.codes import Miti, UtteranceCodes
from coach.coder.features import feature_matrix
from coach.errors import ConfigError

WEIGHTS = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class Head:
    labels: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = features @ self.coef.T + self.intercept
        if len(self.labels) == 2:  # sklearn stores one logit for binary problems
            yes = 1 / (1 + np.exp(-logits[:, 0]))
            return np.stack([1 - yes, yes], axis=1)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, features: np.ndarray) -> list[str]:
        return [self.labels[i] for i in self.probabilities(features).argmax(axis=1)]


@lru_cache(maxsize=1)
def load_heads(folder: Path = WEIGHTS) -> dict[str, Head]:
    try:
        meta = json.loads((folder / "heads.json").read_text())
        arrays = np.load(folder / "heads.npz")
    except FileNotFoundError as exc:
        raise ConfigError(f"The coder weights are missing from {folder}; run "
                          "eval/coder/train_heads.py.") from exc
    return {name: Head(tuple(labels), arrays[f"{name}.coef"], arrays[f"{name}.intercept"])
            for name, labels in meta["labels"].items()}


class OfflineCoder:
    """Codes whole conversations at once, so every utterance is embedded exactly once."""

    def __init__(self) -> None:
        from coach.embeddings import get_embeddings

        self.heads = load_heads()
        self.embedder = get_embeddings()

    def code(self, speakers: Sequence[str], texts: Sequence[str],
             starts: np.ndarray | None = None) -> list[UtteranceCodes]:
        """Code utterances in order; ``starts`` marks where a new conversation begins."""
        if starts is None:
            starts = np.zeros(len(texts), dtype=bool)
            starts[:1] = True
        features = feature_matrix(self.embedder.encode(list(texts)), texts, starts)
        therapist = np.array([s == "therapist" for s in speakers])
        out: list[UtteranceCodes | None] = [None] * len(texts)

        rows = np.flatnonzero(~therapist)
        if rows.size:
            for i, talk in zip(rows, self.heads["talk"].predict(features[rows]), strict=True):
                out[i] = UtteranceCodes(speaker="client", text=texts[i], talk_type=talk)
        rows = np.flatnonzero(therapist)
        if rows.size:
            predicted = {name: head.probabilities(features[rows])
                         for name, head in self.heads.items() if name != "talk"}
            for k, i in enumerate(rows):
                previous = "" if starts[i] else texts[i - 1]
                out[i] = self._counsellor(texts[i], previous, {n: p[k] for n, p in
                                                               predicted.items()})
        return out  # type: ignore[return-value]

    def _counsellor(self, text: str, previous: str,
                    p: dict[str, np.ndarray]) -> UtteranceCodes:
        label = lambda name: self.heads[name].labels[int(p[name].argmax())]  # noqa: E731
        yes = lambda name: p[name][self.heads[name].labels.index("yes")] >= 0.5  # noqa: E731
        behaviour = label("behaviour")
        if rules.is_single_question(text):
            # A lone question is a question; the heads sometimes see input in its topic words.
            behaviour = "question"
            p = p | {name: np.array([1.0, 0.0]) for name in ("has_reflection", "has_input")}
        codes: list[Miti] = []
        question_type = reflection_type = None

        if behaviour == "reflection" or yes("has_reflection") or \
                rules.DOUBLE_SIDED.search(rules.normalise(text)):
            double_sided = rules.DOUBLE_SIDED.search(rules.normalise(text))
            reflection_type = "complex" if yes("reflection_complex") or double_sided else "simple"
            codes.append(Miti.COMPLEX_REFLECTION if reflection_type == "complex"
                         else Miti.SIMPLE_REFLECTION)
        if behaviour == "question" or yes("has_question") or text.rstrip().endswith("?"):
            question_type = "open" if yes("question_open") else "closed"
            codes.append(Miti.QUESTION)
        persuade = rules.persuasion(text, previous)
        if behaviour == "therapist_input" or yes("has_input") or persuade:
            if persuade:
                codes.append(persuade)
            elif label("input_subtype") == "advice":
                # Advice the rules cannot see as pushy still needs permission to be MI-adherent.
                permitted = rules.PERMISSION.search(rules.normalise(text)) or \
                    rules.ASKS_FOR_ADVICE.search(rules.normalise(previous))
                codes.append(Miti.PERSUADE_WITH_PERMISSION if permitted else Miti.PERSUADE)
            else:
                codes.append(Miti.GIVING_INFORMATION)
        relational = rules.relational_codes(text)
        if Miti.CONFRONT in relational:  # MITI: a confrontational "reflection" is a Confront
            codes = [c for c in codes if c not in (Miti.SIMPLE_REFLECTION,
                                                   Miti.COMPLEX_REFLECTION)]
            reflection_type = None
        codes += [c for c in relational if c not in codes]
        return UtteranceCodes(
            speaker="therapist", text=text, behaviour=behaviour, miti_codes=codes,
            primary=primary_code(behaviour, codes), question_type=question_type,
            reflection_type=reflection_type,
        )


PRIMARY_FOR = {
    "reflection": (Miti.COMPLEX_REFLECTION, Miti.SIMPLE_REFLECTION),
    "question": (Miti.QUESTION,),
    "therapist_input": (Miti.PERSUADE, Miti.PERSUADE_WITH_PERMISSION, Miti.GIVING_INFORMATION),
}
# A Confront outranks everything: a supervisor must never miss one in the feedback.
PRIMARY_ORDER = (Miti.CONFRONT, Miti.AFFIRM, Miti.EMPHASIZING_AUTONOMY,
                 Miti.SEEKING_COLLABORATION)


def primary_code(behaviour: str, codes: list[Miti]) -> Miti | None:
    if Miti.CONFRONT in codes:
        return Miti.CONFRONT
    for code in PRIMARY_FOR.get(behaviour, ()):
        if code in codes:
            return code
    for code in (*PRIMARY_ORDER, *codes):
        if code in codes:
            return code
    return None
