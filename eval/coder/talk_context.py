"""Experiment (nothing ships from it): does re-scoring client talk type with the client's
neighbouring utterances beat the fine-tuned model alone?

Talk type runs in streaks: in AnnoMI's train transcripts a client utterance after change
talk is change talk 59% of the time (25% overall), after sustain talk sustain 44% (11%). So
a logistic regression re-scores each client utterance from the model's talk log-probabilities
for it, for the client's previous utterances and for their mean so far (optionally looking
ahead). It is fitted and scored by 4-fold cross-validation, grouped by transcript, on
out-of-fold probabilities; dev transcripts are never read.

    # out-of-fold logits: four fine-tuning runs, each holding out a quarter of the train
    # transcripts (training venv, about 8 minutes each on 2 cores)
    for k in 0 1 2 3; do
        python eval/coder/finetune.py --folds 4 --fold $k --out /tmp/fold$k
    done
    .venv/bin/python eval/coder/talk_context.py /tmp/fold0 /tmp/fold1 /tmp/fold2 /tmp/fold3

Results and why nothing shipped: README, "The MI coder".
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from coach.coder.heads import softmax
from coach.settings import REPO_ROOT

TALK = ("change", "neutral", "sustain")
MISSING = np.array([0.0, 0.0, 0.0, 1.0])  # a neighbour that is not there


@dataclass(frozen=True)
class Context:
    previous: int = 0
    following: int = 0
    mean: str = "none"  # none | earlier | all


VARIANTS = {
    "utterance alone, re-weighted": Context(),
    "+ 1 previous": Context(previous=1),
    "+ 2 previous, earlier mean": Context(previous=2, mean="earlier"),
    "+ 3 previous, earlier mean": Context(previous=3, mean="earlier"),
    "+ 2 previous, 2 following, mean (looks ahead)": Context(2, 2, "all"),
}
# Class weights as a power of inverse class frequency: 0 none, 1 "balanced" (as the
# fine-tuned model was trained), 0.5 in between.
CLASS_WEIGHT_POWERS = {"unweighted": 0.0, "sqrt-balanced": 0.5, "balanced": 1.0}


def load_oof(folders: list[Path], data: Path) -> pd.DataFrame:
    """Every utterance of the held-out transcripts, in order, with talk probabilities."""
    parts = []
    for folder in folders:
        arrays = np.load(folder / "oof.npz")
        probs = softmax(arrays["talk"])
        parts.append(
            pd.DataFrame(
                {
                    "transcript_id": arrays["transcript_id"],
                    "utterance_id": arrays["utterance_id"],
                    **{f"p_{t}": probs[:, i] for i, t in enumerate(TALK)},
                }
            )
        )
    simple = pd.read_csv(data / "AnnoMI-simple.csv")
    rows = simple.merge(pd.concat(parts), on=["transcript_id", "utterance_id"], how="inner")
    dev = set(json.loads((REPO_ROOT / "eval/coder/split.json").read_text())["dev_transcripts"])
    assert not set(rows.transcript_id) & dev, "out-of-fold files must not hold dev transcripts"
    return rows[rows.interlocutor == "client"].sort_values(["transcript_id", "utterance_id"])


def features(probs: np.ndarray, context: Context) -> np.ndarray:
    """Per client utterance of one transcript: its log-probabilities, then each neighbour's
    probabilities plus a flag for a neighbour that is not there."""
    running = np.cumsum(probs, axis=0)
    out = []
    for j in range(len(probs)):
        parts = [np.log(np.clip(probs[j], 1e-6, 1.0))]
        parts += [
            np.append(probs[j - k], 0) if j >= k else MISSING
            for k in range(1, context.previous + 1)
        ]
        parts += [
            np.append(probs[j + k], 0) if j + k < len(probs) else MISSING
            for k in range(1, context.following + 1)
        ]
        if context.mean == "earlier":
            parts.append(np.append(running[j - 1] / j, 0) if j else MISSING)
        elif context.mean == "all":
            rest = len(probs) - 1
            parts.append(np.append((running[-1] - probs[j]) / rest, 0) if rest else MISSING)
        out.append(np.concatenate(parts))
    return np.array(out)


def design(rows: pd.DataFrame, context: Context) -> np.ndarray:
    columns = [f"p_{t}" for t in TALK]
    return np.vstack(
        [
            features(g[columns].to_numpy(), context)
            for _, g in rows.groupby("transcript_id", sort=True)
        ]
    )


def cross_validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray, power: float) -> float:
    """Client macro-F1 over out-of-transcript predictions, pooled across 4 folds."""
    pred = np.empty_like(y)
    for train, test in GroupKFold(n_splits=4).split(x, y, groups):
        weights = (len(train) / (len(TALK) * np.bincount(y[train], minlength=3))) ** power
        model = LogisticRegression(C=10.0, max_iter=5000, class_weight=dict(enumerate(weights)))
        pred[test] = model.fit(x[train], y[train]).predict(x[test])
    return float(f1_score(y, pred, average="macro"))


def bias_only(logp: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Add a per-class bias to the log-probabilities, grid-searched on the training folds."""
    grid = np.round(np.arange(-1.5, 1.51, 0.1), 2)
    pred = np.empty_like(y)
    for train, test in GroupKFold(n_splits=4).split(logp, y, groups):
        best = max(
            ((c, s) for c in grid for s in grid),
            key=lambda b: f1_score(
                y[train], (logp[train] + [b[0], 0, b[1]]).argmax(1), average="macro"
            ),
        )
        pred[test] = (logp[test] + [best[0], 0, best[1]]).argmax(1)
    return float(f1_score(y, pred, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folds", nargs="+", type=Path, help="finetune.py --folds output folders")
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/data/annomi")
    args = parser.parse_args()

    rows = load_oof(args.folds, args.data)
    y = rows.client_talk_type.map({t: i for i, t in enumerate(TALK)}).to_numpy()
    groups = rows.transcript_id.to_numpy()
    logp = design(rows, Context())
    table = Table(
        "re-scoring",
        *CLASS_WEIGHT_POWERS,
        title=f"Client macro-F1, 4-fold by transcript, on out-of-fold probabilities "
        f"for {rows.transcript_id.nunique()} train transcripts ({len(y)} "
        "client utterances)",
    )
    table.add_row(
        "none: the fine-tuned model alone",
        f"{f1_score(y, logp.argmax(1), average='macro'):.3f}",
        "",
        "",
    )
    table.add_row("per-class bias only", f"{bias_only(logp, y, groups):.3f}", "", "")
    for name, context in VARIANTS.items():
        x = design(rows, context)
        table.add_row(
            name, *[f"{cross_validate(x, y, groups, p):.3f}" for p in CLASS_WEIGHT_POWERS.values()]
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
