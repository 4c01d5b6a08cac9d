"""Benchmark the offline MI coder against expert AnnoMI annotations on the dev split.

    .venv/bin/python eval/coder/bench.py [--data ../shared/data/annomi] [--json OUT.json]

Prints therapist 4-class and client 3-class macro-F1, per-class F1 and Cohen's kappa on the
held-out dev transcripts (eval/coder/split.json); open/closed and simple/complex accuracy;
human-human agreement on the multi-annotated transcripts (the ceiling); and throughput, with
the CPU it was measured on.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.metrics import cohen_kappa_score, f1_score

sys.path.insert(0, str(Path(__file__).parent))
from train_heads import SPLIT, load_annomi

from coach.coder import code_many
from coach.coder.runtime import WORKERS, cpu_description
from coach.settings import REPO_ROOT

BEHAVIOURS = ["reflection", "question", "therapist_input", "other"]
TALK = ["change", "neutral", "sustain"]


def scores(gold: list[str], pred: list[str], labels: list[str]) -> dict[str, object]:
    per_class = f1_score(gold, pred, labels=labels, average=None, zero_division=0)
    return {
        "macro_f1": round(
            float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 3
        ),
        "kappa": round(float(cohen_kappa_score(gold, pred)), 3),
        "per_class_f1": {k: round(float(v), 3) for k, v in zip(labels, per_class, strict=True)},
        "n": len(gold),
    }


def code_dev(dev: pd.DataFrame) -> list:
    conversations = [
        list(zip(g.interlocutor, g.utterance_text.astype(str), strict=True))
        for _, g in dev.groupby("transcript_id", sort=False)
    ]
    return [u for c in code_many(conversations) for u in c.utterances]


def subtype_accuracy(dev: pd.DataFrame, coded: list, gold_col: str, attr: str) -> dict:
    gold, pred = [], []
    for value, codes in zip(dev[gold_col], coded, strict=True):
        if isinstance(value, str):
            gold.append(value)
            pred.append(getattr(codes, attr))
    hits = [p == g for p, g in zip(pred, gold, strict=True) if p is not None]
    return {
        "accuracy": round(float(np.mean(hits)), 3) if hits else None,
        "coverage": round(len(hits) / len(gold), 3) if gold else None,
        "n": len(gold),
    }


def human_agreement(full: pd.DataFrame, transcripts: list[int]) -> dict[str, dict]:
    """Mean pairwise agreement between annotators on the multi-annotated transcripts."""
    out = {}
    for column, labels in (("main_therapist_behaviour", BEHAVIOURS), ("client_talk_type", TALK)):
        f1s, kappas = [], []
        for tid in transcripts:
            rows = full[(full.transcript_id == tid) & full[column].notna()]
            table = rows.pivot_table(
                index="utterance_id", columns="annotator_id", values=column, aggfunc="first"
            )
            for a, b in itertools.combinations(table.columns, 2):
                pair = table[[a, b]].dropna()
                if len(pair) < 5:
                    continue
                x, y = pair[a].tolist(), pair[b].tolist()
                # Macro-F1 is asymmetric; average both directions.
                f1s.append(
                    (
                        f1_score(x, y, labels=labels, average="macro", zero_division=0)
                        + f1_score(y, x, labels=labels, average="macro", zero_division=0)
                    )
                    / 2
                )
                kappas.append(cohen_kappa_score(x, y))
        out[column] = {
            "macro_f1": round(float(np.mean(f1s)), 3),
            "kappa": round(float(np.mean(kappas)), 3),
            "pairs": len(f1s),
        }
    return out


def throughput(dev: pd.DataFrame, minimum: int = 3000) -> float:
    conversations = [
        list(zip(g.interlocutor, g.utterance_text.astype(str), strict=True))
        for _, g in dev.groupby("transcript_id", sort=False)
    ]
    code_many(conversations[:2])  # warm-up: model load
    repeats = max(1, -(-minimum // len(dev)))
    start = time.perf_counter()
    for _ in range(repeats):
        code_many(conversations)
    return repeats * len(dev) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/data/annomi")
    parser.add_argument("--json", type=Path, help="Also write the figures as JSON.")
    args = parser.parse_args()

    split = json.loads(SPLIT.read_text())
    data = load_annomi(args.data)
    dev = data[data.transcript_id.isin(split["dev_transcripts"])].reset_index(drop=True)
    coded = code_dev(dev)
    therapist = (dev.interlocutor == "therapist").to_numpy()
    results = {
        "dev_transcripts": len(split["dev_transcripts"]),
        "therapist": scores(
            dev.main_therapist_behaviour[therapist].tolist(),
            [coded[i].behaviour for i in np.flatnonzero(therapist)],
            BEHAVIOURS,
        ),
        "client": scores(
            dev.client_talk_type[~therapist].tolist(),
            [coded[i].talk_type for i in np.flatnonzero(~therapist)],
            TALK,
        ),
        "open_closed": subtype_accuracy(dev, coded, "question_subtype", "question_type"),
        "simple_complex": subtype_accuracy(dev, coded, "reflection_subtype", "reflection_type"),
        "human_human": human_agreement(
            pd.read_csv(args.data / "AnnoMI-full.csv"), split["multi_annotated"]
        ),
        "utterances_per_second": round(throughput(dev), 1),
        # Throughput depends on the CPU's int8 instructions: 2 cores gave 431 utterances/s with
        # AMX and VNNI, 96 with AVX2 only (README).
        "cpu": cpu_description(),
        "workers": WORKERS,
    }

    console = Console()
    table = Table(
        "task",
        "macro-F1",
        "kappa",
        "per-class F1",
        "human-human macro-F1 / kappa",
        title=f"Offline MI coder on {results['dev_transcripts']} held-out transcripts",
    )
    for task, column in (("therapist", "main_therapist_behaviour"), ("client", "client_talk_type")):
        r, h = results[task], results["human_human"][column]
        table.add_row(
            task,
            str(r["macro_f1"]),
            str(r["kappa"]),
            ", ".join(f"{k} {v}" for k, v in r["per_class_f1"].items()),
            f"{h['macro_f1']} / {h['kappa']}",
        )
    console.print(table)
    for name in ("open_closed", "simple_complex"):
        r = results[name]
        console.print(
            f"{name.replace('_', '/')}: accuracy {r['accuracy']} on the "
            f"{r['coverage']:.0%} of {r['n']} gold items the coder also detected"
        )
    console.print(
        f"throughput: {results['utterances_per_second']} utterances/s (offline, "
        f"whole pipeline: model and rules; {WORKERS} workers on {results['cpu']})"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
