"""Train client talk type's second opinion: logistic regression on frozen MiniLM vectors.

    .venv/bin/python eval/coder/train_talk_head.py --oof /tmp/fold   # out-of-fold table
    .venv/bin/python eval/coder/train_talk_head.py                   # writes the head

Needs coach/coder/weights/frozen.onnx (eval/coder/export_frozen.py). Embeds every AnnoMI
utterance with it, one run per utterance as the coder does, fits a class-balanced logistic
regression on the client utterances of the train transcripts, and writes talk_head.npz and
talk_head.json beside the fine-tuned coder. The coder then averages the two talk opinions.

``--oof PREFIX`` scores every variant out of fold instead, and writes nothing. It reads the
fine-tuning runs PREFIX0 .. PREFIX3 (``finetune.py --folds 4 --fold K --out PREFIXK``); for
each fold the head is fitted on the other three folds' client utterances. Dev is never read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).parent))
from train_heads import SPLIT, WEIGHTS, load_annomi

from coach.coder.features import feature_matrix, previous_rows, utterance_features
from coach.coder.frozen import META, FrozenEncoder
from coach.coder.heads import softmax
from coach.coder.runtime import WORKERS
from coach.settings import REPO_ROOT

TALK = ("change", "neutral", "sustain")
# Chosen out of fold (--oof): the shipped variant, its regularisation and its blend weight.
SHIPPED = ("utterance", 3.0)
BLEND = 0.5
VARIANTS = ("utterance", "utterance + previous", "utterance + 2 previous")
STRENGTHS = (0.3, 1.0, 3.0)


def features(variant: str, vectors: np.ndarray, texts: list[str], starts: np.ndarray) -> np.ndarray:
    alone = utterance_features(vectors, texts)  # what the coder computes at run time
    if variant == "utterance":
        return alone
    both = feature_matrix(vectors, texts, starts)  # + the previous utterance
    if variant == "utterance + previous":
        return both
    return np.hstack([both, previous_rows(previous_rows(alone, starts), starts)])


def fit(x: np.ndarray, y: np.ndarray, strength: float) -> LogisticRegression:
    model = LogisticRegression(C=strength, max_iter=4000, class_weight="balanced")
    model.fit(x, y)
    assert tuple(model.classes_) == TALK
    return model


def macro_f1(y: np.ndarray, probs: np.ndarray) -> float:
    return float(f1_score(y, np.array(TALK)[probs.argmax(axis=1)], average="macro"))


def out_of_fold(
    prefix: str, data: pd.DataFrame, vectors: np.ndarray, starts: np.ndarray, client: np.ndarray
) -> None:
    """Prints macro-F1 of the fine-tuned model, the head, and their average, out of fold."""
    keys = zip(data.transcript_id, data.utterance_id, strict=True)
    row_of = {key: i for i, key in enumerate(keys)}
    fold = np.full(len(data), -1)
    tuned = np.full((len(data), len(TALK)), np.nan)
    for k in range(4):
        arrays = np.load(f"{prefix}{k}/oof.npz")
        keys = zip(arrays["transcript_id"], arrays["utterance_id"], strict=True)
        rows = [row_of[key] for key in keys]
        fold[rows], tuned[rows] = k, softmax(arrays["talk"])
    dev = set(json.loads(SPLIT.read_text())["dev_transcripts"])
    assert not set(data.transcript_id[fold >= 0]) & dev, "out-of-fold runs must not hold dev"
    rows = client & (fold >= 0)
    y = data.client_talk_type.to_numpy()

    def per_fold(probs: np.ndarray) -> str:
        return ", ".join(
            f"{macro_f1(y[held], probs[held]):.3f}"
            for held in (rows & (fold == k) for k in range(4))
        )

    table = Table(title=f"client talk macro-F1, out of fold ({rows.sum()} utterances)")
    for column in ("talk opinion", "C", "alone", "averaged with fine-tuned", "per fold"):
        table.add_column(column)
    table.add_row(
        "fine-tuned model", "", f"{macro_f1(y[rows], tuned[rows]):.4f}", "", per_fold(tuned)
    )
    texts = data.utterance_text.fillna("").astype(str).tolist()
    for variant in VARIANTS:
        x = features(variant, vectors, texts, starts)
        for strength in STRENGTHS:
            frozen = np.full_like(tuned, np.nan)
            for k in range(4):
                train, held = rows & (fold != k), rows & (fold == k)
                frozen[held] = fit(x[train], y[train], strength).predict_proba(x[held])
            blended = (1 - BLEND) * tuned + BLEND * frozen
            mark = " (shipped)" if (variant, strength) == SHIPPED else ""
            table.add_row(
                variant + mark,
                f"{strength:g}",
                f"{macro_f1(y[rows], frozen[rows]):.4f}",
                f"{macro_f1(y[rows], blended[rows]):.4f}",
                per_fold(blended),
            )
    Console(width=110).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/data/annomi")
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument(
        "--oof",
        metavar="PREFIX",
        help="score out of fold from PREFIX0..PREFIX3/oof.npz; write nothing",
    )
    args = parser.parse_args()

    model = args.weights / "frozen.onnx"
    if not model.exists():
        parser.error(f"{model} is missing; run eval/coder/export_frozen.py first")
    if not (args.data / "AnnoMI-simple.csv").exists():
        parser.error(f"--data {args.data} holds no AnnoMI-simple.csv")
    missing = [
        f"{args.oof}{k}/oof.npz"
        for k in range(4)
        if args.oof and not Path(f"{args.oof}{k}/oof.npz").exists()
    ]
    if missing:
        parser.error(
            f"--oof {args.oof}: {missing[0]} is missing; run finetune.py --folds 4 "
            "--fold K --out PREFIXK for K = 0..3 first"
        )
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    encoder = FrozenEncoder(model, args.weights / "tokenizer.json", digest)
    data = load_annomi(args.data)
    texts = data.utterance_text.fillna("").astype(str).tolist()
    starts = (data.groupby("transcript_id").cumcount() == 0).to_numpy()
    with ThreadPoolExecutor(WORKERS) as pool:
        vectors = encoder.encode(texts, pool)
    client = ((data.interlocutor == "client") & data.client_talk_type.notna()).to_numpy()
    if args.oof:
        out_of_fold(args.oof, data, vectors, starts, client)
        return

    dev = set(json.loads(SPLIT.read_text())["dev_transcripts"])
    rows = client & ~data.transcript_id.isin(dev).to_numpy()
    variant, strength = SHIPPED
    head = fit(
        features(variant, vectors, texts, starts)[rows],
        data.client_talk_type.to_numpy()[rows],
        strength,
    )
    np.savez_compressed(
        args.weights / "talk_head.npz",
        coef=head.coef_.astype(np.float32),
        intercept=head.intercept_.astype(np.float32),
    )
    source = hashlib.sha256((args.data / "AnnoMI-simple.csv").read_bytes()).hexdigest()
    (args.weights / META).write_text(
        json.dumps(
            {
                "kind": "logistic regression on frozen all-MiniLM-L6-v2 vectors, client talk type",
                "features": "[utterance vector, hand features] (coach/coder/features.py)",
                "C": strength,
                "blend": BLEND,
                "labels": list(TALK),
                "frozen_onnx_sha256": digest,
                "training_utterances": int(rows.sum()),
                "training_transcripts": int(data[rows].transcript_id.nunique()),
                "annomi_simple_sha256": source,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {args.weights / 'talk_head.npz'} ({rows.sum()} client utterances)")


if __name__ == "__main__":
    main()
