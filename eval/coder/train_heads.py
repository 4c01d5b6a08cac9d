"""Train the offline coder's classifier heads on frozen MiniLM features, reproducibly.

    .venv/bin/python eval/coder/train_heads.py [--data ../shared/data/annomi]

Reads the shared AnnoMI CSVs, trains one logistic-regression head per label on the
transcripts *not* in eval/coder/split.json, and writes coach/coder/weights/heads.npz plus
heads.json (labels and the training data's fingerprint). Takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from coach.coder.features import feature_matrix
from coach.knowledge.embeddings import MODEL_NAME, get_embeddings
from coach.settings import REPO_ROOT

SPLIT = REPO_ROOT / "eval/coder/split.json"
WEIGHTS = REPO_ROOT / "coach/coder/weights"


def load_annomi(folder: Path) -> pd.DataFrame:
    """One row per utterance, with the AnnoMI-full subcodes folded in (first annotator)."""
    simple = pd.read_csv(folder / "AnnoMI-simple.csv")
    full = pd.read_csv(folder / "AnnoMI-full.csv")
    first = full.groupby("transcript_id").annotator_id.transform("min") == full.annotator_id
    sub = full[first][
        [
            "transcript_id",
            "utterance_id",
            "reflection_exists",
            "reflection_subtype",
            "question_exists",
            "question_subtype",
            "therapist_input_exists",
            "therapist_input_subtype",
        ]
    ]
    data = simple.merge(sub, on=["transcript_id", "utterance_id"], how="left")
    return data.sort_values(["transcript_id", "utterance_id"]).reset_index(drop=True)


def heads_for(data: pd.DataFrame) -> dict[str, tuple[np.ndarray, pd.Series]]:
    """Head name -> (row mask, labels), each head trained only where its label applies."""
    therapist = (data.interlocutor == "therapist").to_numpy()

    def flag(column: str) -> pd.Series:
        return data[column].map({True: "yes", False: "no", "True": "yes", "False": "no"})

    heads = {
        "behaviour": (therapist, data.main_therapist_behaviour),
        "talk": (~therapist, data.client_talk_type),
        "has_reflection": (therapist, flag("reflection_exists")),
        "has_question": (therapist, flag("question_exists")),
        "has_input": (therapist, flag("therapist_input_exists")),
        "reflection_complex": (
            therapist,
            data.reflection_subtype.map({"complex": "yes", "simple": "no"}),
        ),
        "question_open": (therapist, data.question_subtype.map({"open": "yes", "closed": "no"})),
        "input_subtype": (therapist, data.therapist_input_subtype),
    }
    return {
        name: (mask & labels.notna().to_numpy(), labels) for name, (mask, labels) in heads.items()
    }


def build_features(data: pd.DataFrame) -> np.ndarray:
    texts = data.utterance_text.fillna("").astype(str).tolist()
    starts = (data.groupby("transcript_id").cumcount() == 0).to_numpy()
    return feature_matrix(get_embeddings().encode(texts), texts, starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/data/annomi")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()

    data = load_annomi(args.data)
    dev = set(json.loads(SPLIT.read_text())["dev_transcripts"])
    train = ~data.transcript_id.isin(dev).to_numpy()
    features = build_features(data)

    arrays: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    for name, (mask, target) in heads_for(data).items():
        rows = mask & train
        model = LogisticRegression(C=1.0, max_iter=4000, class_weight="balanced")
        model.fit(features[rows], target[rows].to_numpy())
        arrays[f"{name}.coef"] = model.coef_.astype(np.float32)
        arrays[f"{name}.intercept"] = model.intercept_.astype(np.float32)
        labels[name] = [str(c) for c in model.classes_]
        print(f"{name}: {rows.sum()} training rows, classes {labels[name]}")

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "heads.npz", **arrays)
    source = hashlib.sha256((args.data / "AnnoMI-simple.csv").read_bytes()).hexdigest()
    (args.out / "heads.json").write_text(
        json.dumps(
            {
                "kind": "frozen-embedding logistic regression",
                "embedding_model": MODEL_NAME,
                "labels": labels,
                "training_transcripts": int(data[train].transcript_id.nunique()),
                "annomi_simple_sha256": source,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {args.out / 'heads.npz'}")


if __name__ == "__main__":
    main()
