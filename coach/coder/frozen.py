"""A second opinion on client talk type: logistic regression on frozen MiniLM vectors.

The fine-tuned coder and this head make different mistakes, so the coder averages their talk
probabilities. Out of fold on the train transcripts the average scored client macro-F1 0.519
against 0.503 for the fine-tuned model alone (eval/coder/train_talk_head.py; README).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from coach.coder.features import utterance_features
from coach.coder.heads import Head
from coach.coder.runtime import int8_session
from coach.errors import ConfigError
from coach.knowledge.embeddings import DIMENSION, verify_sha256

if TYPE_CHECKING:
    from tokenizers import Encoding

META = "talk_head.json"


class FrozenEncoder:
    """all-MiniLM-L6-v2 as released, int8 (eval/coder/export_frozen.py): one L2-normalised
    mean-pooled vector per text. Each text gets its own run, because the int8 graph quantizes
    activations per run: batched, a text's vector would depend on its batch."""

    def __init__(self, model: Path, tokenizer: Path, sha256: str) -> None:
        from tokenizers import Tokenizer

        verify_sha256(model, sha256)
        self.session = int8_session(model)
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.no_padding()

    def encode(self, texts: Sequence[str], pool: Executor) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        encoded = self.tokenizer.encode_batch(list(texts))
        return np.concatenate(list(pool.map(self._run, encoded)))

    def _run(self, encoding: Encoding) -> np.ndarray:
        feeds = {"input_ids": [encoding.ids], "attention_mask": [encoding.attention_mask]}
        return self.session.run(
            None, {name: np.array(values, dtype=np.int64) for name, values in feeds.items()}
        )[0]


class FrozenTalkHead:
    """Talk type from a client utterance's frozen vector and hand features
    (coach/coder/features.py), blended into the fine-tuned model's talk probabilities. The
    fine-tuned model already reads the context; this head reads the utterance alone."""

    def __init__(self, folder: Path, pool: Executor, labels: tuple[str, ...]) -> None:
        meta = json.loads((folder / META).read_text())
        arrays = np.load(folder / "talk_head.npz")
        self.head = Head(tuple(meta["labels"]), arrays["coef"], arrays["intercept"])
        if self.head.labels != labels:
            raise ConfigError(
                f"The talk head's labels {self.head.labels} do not match the "
                f"coder's {labels}; retrain it with train_talk_head.py."
            )
        self.blend = float(meta["blend"])
        self.encoder = FrozenEncoder(
            folder / "frozen.onnx", folder / "tokenizer.json", meta["frozen_onnx_sha256"]
        )
        self.pool = pool

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Talk probabilities for each text, all of them client utterances."""
        if not texts:
            return np.zeros((0, len(self.head.labels)), dtype=np.float32)
        vectors = self.encoder.encode(texts, self.pool)
        return self.head.probabilities(utterance_features(vectors, texts))

    def blend_into(
        self, talk: np.ndarray, speakers: Sequence[str], texts: Sequence[str]
    ) -> np.ndarray:
        """``talk`` with each client row replaced by the weighted mean of both opinions."""
        client = np.flatnonzero([speaker == "client" for speaker in speakers])
        out = talk.copy()
        frozen = self.probabilities([texts[i] for i in client])
        out[client] = (1 - self.blend) * talk[client] + self.blend * frozen
        return out
