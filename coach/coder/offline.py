"""The offline coder: an AnnoMI-trained classifier plus MITI rules.

The classifier (a fine-tuned MiniLM, or logistic-regression heads on frozen embeddings as a
fallback) gives the main behaviour, which of reflection / question / input an utterance
holds, their subtypes, and client talk type. Rules add what AnnoMI does not label.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from coach.coder import rules
from coach.coder.codes import Miti, UtteranceCodes
from coach.coder.features import feature_matrix
from coach.coder.frozen import META as TALK_HEAD_META
from coach.coder.frozen import FrozenTalkHead
from coach.coder.heads import Head, softmax
from coach.coder.relational import over_threshold, relational_head
from coach.coder.runtime import WORKERS, int8_session
from coach.errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Encoding

WEIGHTS = Path(__file__).parent / "weights"


class EmbeddingClassifier:
    """Logistic-regression heads on frozen MiniLM features (eval/coder/train_heads.py)."""

    def __init__(self, folder: Path = WEIGHTS) -> None:
        from coach.knowledge.embeddings import get_embeddings

        try:
            meta = json.loads((folder / "heads.json").read_text())
            arrays = np.load(folder / "heads.npz")
        except FileNotFoundError as exc:
            raise ConfigError(
                f"The coder weights are missing from {folder}; run `make train-coder`."
            ) from exc
        self.heads = {
            name: Head(tuple(labels), arrays[f"{name}.coef"], arrays[f"{name}.intercept"])
            for name, labels in meta["labels"].items()
        }
        self.labels = {name: head.labels for name, head in self.heads.items()}
        self.embedder = get_embeddings()

    def probabilities(
        self, speakers: Sequence[str], texts: Sequence[str], starts: np.ndarray
    ) -> dict[str, np.ndarray]:
        features = feature_matrix(self.embedder.encode(list(texts)), texts, starts)
        return {name: head.probabilities(features) for name, head in self.heads.items()}


class FinetunedClassifier:
    """A fine-tuned multi-task MiniLM over (previous, current) utterance pairs, int8 ONNX
    (eval/coder/finetune.py). One forward pass gives every head's logits. Where a talk head
    is committed beside it (coach/coder/frozen.py), client talk type averages the two."""

    def __init__(self, folder: Path = WEIGHTS) -> None:
        from tokenizers import Tokenizer

        from coach.knowledge.embeddings import verify_sha256

        self.meta = json.loads((folder / "coder.json").read_text())
        verify_sha256(folder / "model.onnx", self.meta["onnx_sha256"])
        self.session = int8_session(folder / "model.onnx")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # one utterance per run: nothing to pad to
        self.labels = {name: tuple(v) for name, v in self.meta["labels"].items()}
        self.outputs = self.meta["outputs"]
        self.context = int(self.meta.get("context_utterances", 1))
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="coder")
        self.talk_head = (
            FrozenTalkHead(folder, self.pool, self.labels["talk"])
            if (folder / TALK_HEAD_META).exists()
            else None
        )

    def pairs(
        self, speakers: Sequence[str], texts: Sequence[str], starts: np.ndarray
    ) -> list[tuple[str, str]]:
        """(previous, current) per utterance: the ``context`` utterances before it in its
        conversation, oldest first, and the utterance itself, each with its speaker."""
        fmt = self.meta["context_format"]
        current = [fmt.format(speaker=s, text=t) for s, t in zip(speakers, texts, strict=True)]
        out, begin = [], 0
        for i, text in enumerate(current):
            begin = i if starts[i] else begin
            out.append((" ".join(current[max(begin, i - self.context) : i]), text))
        return out

    def probabilities(
        self, speakers: Sequence[str], texts: Sequence[str], starts: np.ndarray
    ) -> dict[str, np.ndarray]:
        encoded = self.tokenizer.encode_batch(self.pairs(speakers, texts, starts))
        runs = list(self.pool.map(self._run, encoded))
        probs = {
            name: softmax(np.concatenate([run[h] for run in runs]))
            if runs
            else np.empty((0, len(self.labels[name])), dtype=np.float32)
            for h, name in enumerate(self.outputs)
        }
        if self.talk_head is not None:
            probs["talk"] = self.talk_head.blend_into(probs["talk"], speakers, texts)
        return probs

    def _run(self, encoding: Encoding) -> list[np.ndarray]:
        feeds = {
            "input_ids": [encoding.ids],
            "attention_mask": [encoding.attention_mask],
            "token_type_ids": [encoding.type_ids],
        }
        return self.session.run(
            self.outputs, {name: np.array(values, dtype=np.int64) for name, values in feeds.items()}
        )


def load_classifier(folder: Path = WEIGHTS) -> EmbeddingClassifier | FinetunedClassifier:
    """The fine-tuned model when its weights are committed, else the embedding heads."""
    if (folder / "coder.json").exists():
        return FinetunedClassifier(folder)
    return EmbeddingClassifier(folder)


class OfflineCoder:
    """Codes whole conversations at once, so every utterance goes through the model once."""

    def __init__(self, relational: bool = False) -> None:
        self.classifier = load_classifier()
        self.labels = self.classifier.labels
        # The trained head for the codes AnnoMI lacks; None: the rules alone.
        self.relational = relational_head() if relational else None

    def code(
        self, speakers: Sequence[str], texts: Sequence[str], starts: np.ndarray | None = None
    ) -> list[UtteranceCodes]:
        """Code utterances in order; ``starts`` marks where a new conversation begins."""
        if starts is None:
            starts = np.zeros(len(texts), dtype=bool)
            starts[:1] = True
        probs = self.classifier.probabilities(speakers, texts, starts)
        if self.relational is not None:  # one batched pass: per utterance costs 20x more
            probs["relational"] = np.zeros((len(texts), len(self.relational.labels)))
            mine = [i for i, s in enumerate(speakers) if s != "client"]
            if mine:
                previous = ["" if starts[i] else texts[i - 1] for i in mine]
                probs["relational"][mine] = self.relational.probabilities(
                    [texts[i] for i in mine], previous
                )
        out: list[UtteranceCodes] = []
        for i, (speaker, text) in enumerate(zip(speakers, texts, strict=True)):
            if speaker == "client":
                talk = self.labels["talk"][int(probs["talk"][i].argmax())]
                out.append(UtteranceCodes(speaker="client", text=text, talk_type=talk))
            else:
                previous = "" if starts[i] else texts[i - 1]
                out.append(self._counsellor(text, previous, {n: p[i] for n, p in probs.items()}))
        return out

    def _counsellor(self, text: str, previous: str, p: dict[str, np.ndarray]) -> UtteranceCodes:
        label = lambda name: self.labels[name][int(p[name].argmax())]  # noqa: E731
        yes = lambda name: p[name][self.labels[name].index("yes")] >= 0.5  # noqa: E731
        behaviour = label("behaviour")
        if rules.is_single_question(text):
            # A lone question is a question; the heads sometimes see input in its topic words.
            behaviour = "question"
            p = p | {name: np.array([1.0, 0.0]) for name in ("has_reflection", "has_input")}
        codes: list[Miti] = []
        question_type = reflection_type = None

        double_sided = bool(rules.DOUBLE_SIDED.search(rules.normalise(text)))
        if (
            behaviour == "reflection"
            or yes("has_reflection")
            or double_sided
            or rules.reflects_before_asking(text)
        ):
            reflection_type = "complex" if yes("reflection_complex") or double_sided else "simple"
            codes.append(
                Miti.COMPLEX_REFLECTION if reflection_type == "complex" else Miti.SIMPLE_REFLECTION
            )
        if behaviour == "question" or yes("has_question") or text.rstrip().endswith("?"):
            question_type = "open" if yes("question_open") else "closed"
            codes.append(Miti.QUESTION)
        persuade = rules.persuasion(text, previous)
        if behaviour == "therapist_input" or yes("has_input") or persuade:
            if persuade:
                codes.append(persuade)
            elif label("input_subtype") == "advice":
                # Advice the rules cannot see as pushy still needs permission to be MI-adherent.
                codes.append(
                    Miti.PERSUADE_WITH_PERMISSION
                    if rules.permitted(text, previous)
                    else Miti.PERSUADE
                )
            else:
                codes.append(Miti.GIVING_INFORMATION)
        relational = rules.relational_codes(text)
        if self.relational is not None and "relational" in p:
            # Where the main classifier hears a plain reflection, with no input in it, advice
            # must be probable, not just possible: short reflections drew false Persuades.
            plain = (
                behaviour == "reflection"
                and p["has_input"][self.labels["has_input"].index("yes")] < 0.05
            )
            learned = over_threshold(
                dict(zip(self.relational.labels, p["relational"], strict=True)),
                self.relational.thresholds,
                ADVICE_SET if plain else frozenset(),
            )
            advice = [c for c in learned if c in ADVICE]  # most probable first
            if advice:  # the head tells advice with permission from without, over the rules
                codes = [c for c in codes if c not in (*ADVICE, Miti.GIVING_INFORMATION)]
                codes.append(advice[0])
            relational += [c for c in learned if c not in ADVICE and c not in relational]
        if Miti.CONFRONT in relational:  # MITI: a confrontational "reflection" is a Confront
            codes = [c for c in codes if c not in (Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION)]
            reflection_type = None
        codes += [c for c in relational if c not in codes]
        return UtteranceCodes(
            speaker="therapist",
            text=text,
            behaviour=behaviour,
            miti_codes=codes,
            primary=primary_code(behaviour, codes),
            question_type=question_type,
            reflection_type=reflection_type,
        )


ADVICE = (Miti.PERSUADE, Miti.PERSUADE_WITH_PERMISSION)
ADVICE_SET = frozenset(ADVICE)
PRIMARY_FOR = {
    "reflection": (Miti.COMPLEX_REFLECTION, Miti.SIMPLE_REFLECTION),
    "question": (Miti.QUESTION,),
    "therapist_input": (Miti.PERSUADE, Miti.PERSUADE_WITH_PERMISSION, Miti.GIVING_INFORMATION),
}
PRIMARY_ORDER = (Miti.AFFIRM, Miti.EMPHASIZING_AUTONOMY, Miti.SEEKING_COLLABORATION)


def primary_code(behaviour: str, codes: list[Miti]) -> Miti | None:
    # A Confront outranks everything: a supervisor must never miss one in the feedback.
    if Miti.CONFRONT in codes:
        return Miti.CONFRONT
    for code in PRIMARY_FOR.get(behaviour, ()):
        if code in codes:
            return code
    for code in (*PRIMARY_ORDER, *codes):
        if code in codes:
            return code
    return None
