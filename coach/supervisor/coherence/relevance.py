"""Does the reply depend on this message?

An embedding analogue of pointwise mutual information: how much closer the reply sits to
this message than to typical trainee messages (the anchors in ``prompts/coherence.yaml``).
A reply about this message scores high; a generic reply ("That sounds hard. What do you
think?") sits about as close to any message, and a reply about another situation sits closer
to the anchors than to this message. Calibrated on written good and bad replies
(``eval/coherence/calibrate.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coach.knowledge.embeddings import MiniLMEmbeddings


class Relevance:
    def __init__(self, embedder: MiniLMEmbeddings, anchors: Sequence[str]) -> None:
        self.embedder = embedder
        self.anchors = embedder.encode(list(anchors))

    def scores(self, message: str, replies: Sequence[str]) -> list[float]:
        """Per reply: cosine to the message minus the mean cosine to the anchors."""
        if not replies:
            return []
        vectors = self.embedder.encode([message, *replies])
        to_message = vectors[1:] @ vectors[0]
        to_anchors = (vectors[1:] @ self.anchors.T).mean(axis=1)
        return [round(float(s), 4) for s in np.asarray(to_message - to_anchors)]
