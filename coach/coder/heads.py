"""Linear classifier heads stored as arrays (sklearn's logistic regression, exported)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


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
        return softmax(logits)
