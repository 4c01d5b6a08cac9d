"""Features for the frozen-embedding coder heads; training (eval/coder) imports these too,
so what the model was trained on and what it sees at run time cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from coach.coder.rules import REFLECTIVE_START, normalise

WH_START = re.compile(r"^(so,? )?(what|how|why|when|where|who|which|tell me|in what way)\b")
YES_NO_START = re.compile(
    r"^(so,? )?(do|does|did|is|are|was|were|have|has|had|can|could|would|will|should|shall|"
    r"may|might|am|isn't|aren't|don't|didn't)\b"
)
HAND_FEATURES = 10


def hand_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        low = normalise(text)
        words = low.split()
        rows.append(
            [
                "?" in low,
                low.endswith("?"),
                min(len(words), 60) / 30,
                low.count("?") / 2,
                bool(WH_START.search(low)),
                bool(YES_NO_START.search(low)),
                bool(REFLECTIVE_START.search(low)),
                " i " in f" {low} ",
                " you" in f" {low}",
                not words,
            ]
        )
    return np.asarray(rows, dtype=np.float32)


def utterance_features(vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """[utterance embedding, hand features]: what the frozen talk head reads."""
    return np.hstack([vectors, hand_features(texts)])


def previous_rows(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each row's predecessor within its conversation; zeros where a conversation starts."""
    shifted = np.zeros_like(matrix)
    shifted[1:] = matrix[:-1]
    shifted[starts] = 0
    return shifted


def feature_matrix(vectors: np.ndarray, texts: Sequence[str], starts: np.ndarray) -> np.ndarray:
    """[utterance embedding, previous embedding, hand features, previous hand features]."""
    hand = hand_features(texts)
    return np.hstack([vectors, previous_rows(vectors, starts), hand, previous_rows(hand, starts)])
