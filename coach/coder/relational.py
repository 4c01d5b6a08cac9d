"""A trained head for the MITI codes AnnoMI does not label: Affirm, Seeking Collaboration,
Emphasizing Autonomy, Confront, Persuade and Persuade with Permission.

Word and character n-grams of the utterance (and a few of the client's line before it, which
decides whether advice was asked for) feed a multinomial logistic regression trained on
counsellor banks written for this product (eval/coder/train_relational.py). It runs beside the
rules in coach/coder/rules.py: a code either finds is coded. It codes a trainee's own
utterances in practice only (coach.coder.get_coder(trainee=True)), where it was measured.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from coach.coder.codes import Miti
from coach.coder.heads import softmax
from coach.coder.rules import normalise

WEIGHTS = Path(__file__).parent / "weights"
META = "relational.json"
NONE = "none"


def client_tokens(previous: str) -> str:
    """The client's line as prefixed words, so its n-grams never mix with the counsellor's."""
    return " ".join(f"c_{w}" for w in normalise(previous).split()[-12:])


class RelationalHead:
    def __init__(self, folder: Path = WEIGHTS) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from coach.knowledge.embeddings import verify_sha256

        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        verify_sha256(folder / meta["file"], meta["sha256"])
        arrays = np.load(folder / meta["file"])
        self.labels: tuple[str, ...] = tuple(meta["labels"])
        self.thresholds: dict[str, float] = meta["thresholds"]
        self.vectorizers = []
        for name, spec in meta["vectorizers"].items():
            vectorizer = TfidfVectorizer(
                analyzer=spec["analyzer"],
                ngram_range=tuple(spec["ngram_range"]),
                vocabulary=spec["vocabulary"],
                sublinear_tf=True,
                lowercase=False,
            )
            vectorizer.idf_ = arrays[f"{name}.idf"]
            self.vectorizers.append((spec["field"], vectorizer))
        self.coef = arrays["coef"]
        self.intercept = arrays["intercept"]

    def probabilities(self, texts: list[str], previous: list[str]) -> np.ndarray:
        from scipy.sparse import hstack

        fields = {
            "text": [normalise(t) for t in texts],
            "client": [client_tokens(p) for p in previous],
        }
        features = hstack([v.transform(fields[f]) for f, v in self.vectorizers]).tocsr()
        return softmax(np.asarray(features @ self.coef.T) + self.intercept)


STRICT = 0.5  # what advice needs where the main classifier hears a plain reflection


def over_threshold(
    p: dict[str, float], thresholds: dict[str, float], strict: frozenset[Miti] = frozenset()
) -> list[Miti]:
    """The codes whose probability clears their threshold (for ``strict`` codes, at least
    STRICT), most probable first."""
    return [
        Miti(label)
        for label, value in sorted(p.items(), key=lambda kv: -kv[1])
        if label != NONE
        and value
        >= (max(thresholds[label], STRICT) if Miti(label) in strict else thresholds[label])
    ]


@cache
def relational_head() -> RelationalHead | None:
    """The committed head, or None where it has not been trained (rules alone then)."""
    return RelationalHead() if (WEIGHTS / META).exists() else None
