"""Train the supervisor adapter: a LoRA for SmolLM2-135M-Instruct that realises one MI move
(``prompts/moves.yaml``) in reply to the message it is given.

Data: therapist reflections and open questions from AnnoMI's high-quality transcripts, each
with the client turn it answers and grounded in it (``../shared/data/annomi``, Public Domain),
and the supervision pairs written for this product (``eval/adapter/supervision_pairs*.yaml``),
seen twice. The loss covers the reply only.

Runs in the training venv (CPU torch, transformers, peft, gguf; see eval/README.md) and fits a
2-core session: about 20 minutes. Writes ``coach/llm/weights/supervisor_adapter.gguf`` (f16) and
``supervisor_adapter.json`` (its sha256, the data counts and the loss curve).

    .venv-train/bin/python eval/adapter/train_adapter.py --convert /path/to/convert_lora_to_gguf.py
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANNOMI = ROOT.parent / "shared/data/annomi/AnnoMI-full.csv"
PAIRS = sorted((ROOT / "eval/adapter").glob("supervision_pairs*.yaml"))
MOVES = ROOT / "prompts/moves.yaml"
OUT = ROOT / "coach/llm/weights"
WORD = re.compile(r"[a-z']{4,}")
COMMON = set(
    """that this what with have your you're about there their they them then when
would could should really think feel feels feeling like just been being know also some more
much very into from were will want wants going sounds seems""".split()
)
# AnnoMI replies often refer to what was said many turns earlier; a reply the model cannot
# ground in the turn it is given teaches it to invent. Keep replies that share this share of
# their content words with the client turn.
GROUNDED = 0.2
FILLER = re.compile(
    r"^(?:(?:mm-?hmm|mhm|okay|ok|right|yeah|yes|so|well|alright|uh|um|hmm)"
    r"[,.!]?\s+)+",
    re.I,
)


def clean(text: str) -> str:
    text = " ".join(text.replace("\u2019", "'").split())
    text = FILLER.sub("", text).strip()
    return text[:1].upper() + text[1:]


def annomi_pairs(rng: random.Random, reflections: int, questions: int) -> list[dict]:
    """(client turn, therapist reply) from high-quality transcripts, one annotator's rows."""
    rows = list(csv.DictReader(ANNOMI.open(encoding="utf-8")))
    by_transcript: dict[str, list[dict]] = {}
    for row in rows:
        if row["mi_quality"] != "high":
            continue
        by_transcript.setdefault(row["transcript_id"], []).append(row)
    refl, ques = [], []
    for utterances in by_transcript.values():
        first = utterances[0]["annotator_id"]
        utterances = [u for u in utterances if u["annotator_id"] == first]
        utterances.sort(key=lambda u: int(u["utterance_id"]))
        for before, reply in itertools.pairwise(utterances):
            if before["interlocutor"] != "client" or reply["interlocutor"] != "therapist":
                continue
            said, answer = clean(before["utterance_text"]), clean(reply["utterance_text"])
            if not 6 <= len(said.split()) <= 90 or not 6 <= len(answer.split()) <= 45:
                continue
            if reply["therapist_input_exists"] == "True":
                continue  # information and advice stay out: the supervisor asks first
            if grounding(answer, said) < GROUNDED:
                continue
            asks_open = reply["question_subtype"] == "open" and answer.endswith("?")
            reflects = reply["reflection_exists"] == "True"
            if reflects and reply["question_exists"] != "True":
                refl.append({"move": "reflect", "message": said, "reply": answer})
            elif asks_open:
                move = "reflect_question" if reflects else "question"
                ques.append({"move": move, "message": said, "reply": answer})
    rng.shuffle(refl)
    rng.shuffle(ques)
    return refl[:reflections] + ques[:questions]


def grounding(reply: str, turn: str) -> float:
    """Share of the reply's content words that the turn it answers contains."""
    mine = {w for w in WORD.findall(reply.lower()) if w not in COMMON}
    theirs = set(WORD.findall(turn.lower()))
    return len(mine & theirs) / len(mine) if mine else 0.0


def written_pairs() -> list[dict]:
    out = []
    for path in PAIRS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [
            {"move": p["move"], "message": p["trainee"], "reply": p["supervisor"]}
            for p in data["pairs"]
        ]
    return out


def chat(move_file: dict, item: dict) -> list[dict]:
    from jinja2 import Template

    system = Template(move_file["system"]).render(instruction=move_file["moves"][item["move"]])
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": item["message"]},
        {"role": "assistant", "content": item["reply"]},
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every adapter's training shares (this script's and train_client_adapter.py's)."""
    parser.add_argument(
        "--convert",
        type=Path,
        required=True,
        help="llama.cpp's convert_lora_to_gguf.py (from llama-cpp-python's sdist)",
    )
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    training_arguments(parser)
    parser.add_argument("--reflections", type=int, default=250)
    parser.add_argument("--questions", type=int, default=250)
    parser.add_argument("--written-repeats", type=int, default=2)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    move_file = yaml.safe_load(MOVES.read_text(encoding="utf-8"))
    corpus = annomi_pairs(rng, args.reflections, args.questions)
    written = written_pairs()
    items = corpus + written * args.written_repeats
    unknown = {i["move"] for i in items} - set(move_file["moves"])
    if unknown:
        sys.exit(f"moves without an instruction in prompts/moves.yaml: {sorted(unknown)}")
    rng.shuffle(items)
    target, base_file, training = train_lora(
        [chat(move_file, i) for i in items], args, "supervisor_adapter.gguf", rng
    )
    record = {
        "file": target.name,
        "sha256": sha256(target),
        "base": base_file.name,
        "base_sha256": sha256(base_file),
        "moves": sorted(move_file["moves"]),
        "moves_sha256": sha256(MOVES),
        "data": {
            "annomi": len(corpus),
            "written": len(written),
            "written_repeats": args.written_repeats,
            "examples": len(items),
        },
        "training": training,
    }
    (OUT / "supervisor_adapter.json").write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    print(json.dumps(record, indent=2))
    return 0


def train_lora(
    conversations: list[list[dict]],
    args: argparse.Namespace,
    file_name: str,
    rng: random.Random,
) -> tuple[Path, Path, dict]:
    """Fit a LoRA on (system, user, assistant) conversations, the loss on the reply only;
    write it to ``coach/llm/weights/FILE_NAME`` as an f16 GGUF. ``rng`` (the one that drew
    the data) orders the batches, so a rerun repeats the run. Returns (that file, the base
    GGUF, the training record)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base_file = Path(
        subprocess.check_output(
            [
                str(ROOT / ".venv/bin/python"),
                "-c",
                "from coach.llm.backends import default_model_path; print(default_model_path())",
            ],
            text=True,
        ).strip()
    )
    gguf_dir = base_file.parent
    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=base_file.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf_dir, gguf_file=base_file.name, torch_dtype=torch.float32
    )

    def encode(messages: list[dict]) -> tuple[list[int], list[int]]:
        prompt = tokenizer.apply_chat_template(
            messages[:2], add_generation_prompt=True, tokenize=False
        )
        full = tokenizer.apply_chat_template(messages, tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        ids = tokenizer(full, add_special_tokens=False)["input_ids"][: args.max_tokens]
        labels = [-100] * len(prompt_ids) + ids[len(prompt_ids) :]
        return ids, labels[: len(ids)]

    encoded = [encode(m) for m in conversations]
    # Batches of similar length waste less compute on padding.
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
    steps = int(len(batches) * args.epochs)
    schedule = [batches[i % len(batches)] for i in range(steps)]
    rng.shuffle(schedule)

    model = get_peft_model(
        model,
        LoraConfig(
            r=args.rank,
            lora_alpha=2 * args.rank,
            lora_dropout=0.05,
            task_type="CAUSAL_LM",
            target_modules=[
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ],
        ),
    )
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0
    )
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / steps)
    )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    model.train()
    losses, started = [], time.time()
    for step, batch in enumerate(schedule):
        width = max(len(encoded[i][0]) for i in batch)
        ids = torch.full((len(batch), width), pad)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            seq, lab = encoded[i]
            ids[row, : len(seq)] = torch.tensor(seq)
            labels[row, : len(lab)] = torch.tensor(lab)
            mask[row, : len(seq)] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(round(loss.item(), 4))
        if step % 10 == 0 or step == steps - 1:
            print(
                f"step {step + 1}/{steps} loss {sum(losses[-10:]) / len(losses[-10:]):.3f} "
                f"{time.time() - started:.0f} s",
                flush=True,
            )

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        adapter_dir, base_dir = Path(tmp) / "adapter", Path(tmp) / "base"
        model.save_pretrained(adapter_dir)
        # convert_lora_to_gguf reads the base model's config; a GGUF-loaded model refuses
        # save_pretrained, so a plain copy of its config is saved instead.
        config = model.base_model.model.config
        base_dir.mkdir()
        config_json = json.loads(config.to_json_string())
        config_json.pop("quantization_config", None)
        config_json["architectures"] = [type(model.base_model.model).__name__]
        (base_dir / "config.json").write_text(json.dumps(config_json), encoding="utf-8")
        tokenizer.save_pretrained(base_dir)
        target = OUT / file_name
        subprocess.run(
            [
                sys.executable,
                str(args.convert),
                str(adapter_dir),
                "--base",
                str(base_dir),
                "--outfile",
                str(target),
                "--outtype",
                "f16",
            ],
            check=True,
        )
    training = {k: v for k, v in vars(args).items() if k != "convert"} | {
        "steps": steps,
        "seconds": round(time.time() - started),
        "loss_first_50": round(sum(losses[:50]) / min(50, len(losses)), 4),
        "loss_last_50": round(sum(losses[-50:]) / min(50, len(losses)), 4),
    }
    return target, base_file, training


if __name__ == "__main__":
    raise SystemExit(main())
