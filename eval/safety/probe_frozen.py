"""Why the guard's model is fine-tuned: a logistic probe on frozen MiniLM vectors, out of fold.

    .venv/bin/python eval/safety/probe_frozen.py

One "risk or ordinary" head on the retrieval model's sentence vectors (the cheapest semantic
detector there is), trained on the bank in eval/safety/bank/ with 5 stratified folds, each
held-out item scored by its best segment as the product scores it. Prints the false-positive
rate on the bank's ordinary messages at the thresholds that keep 90%, 95% and 98% recall.
Measured 2026-12-01: 0.23 / 0.32 / 0.47 (C=4), far from the 5% the guard must meet, which is
why eval/safety/finetune_guard.py fine-tunes the encoder instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach.knowledge.embeddings import get_embeddings  # noqa: E402
from coach.supervisor.guard.segments import segments  # noqa: E402


def main() -> None:
    texts, labels = [], []
    for path in sorted((ROOT / "eval/safety/bank").glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text())["items"]:
            texts.append(" ".join(str(entry["text"]).split()))
            labels.append(entry.get("category", "none"))
    pieces = [segments(t) for t in texts]
    flat = get_embeddings().encode([p for ps in pieces for p in ps])
    vectors, at = [], 0
    for ps in pieces:
        vectors.append(flat[at : at + len(ps)])
        at += len(ps)
    risky = np.array([label != "none" for label in labels])
    best = np.zeros(len(texts))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for train, test in folds.split(np.zeros(len(texts)), labels):
        x, y = [], []
        for i in train:  # risk items as wholes; ordinary items whole and segment by segment
            rows = vectors[i][:1] if risky[i] else vectors[i]
            x.extend(rows)
            y.extend([int(risky[i])] * len(rows))
        head = LogisticRegression(C=4, class_weight="balanced", max_iter=5000)
        head.fit(np.stack(x), y)
        for i in test:
            best[i] = head.predict_proba(vectors[i])[:, 1].max()
    for recall in (0.90, 0.95, 0.98):
        threshold = np.sort(best[risky])[int((1 - recall) * risky.sum())]
        print(f"recall {recall:.2f}: false-positive rate {(best[~risky] >= threshold).mean():.3f}")


if __name__ == "__main__":
    main()
