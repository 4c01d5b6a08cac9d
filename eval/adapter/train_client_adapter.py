"""Train the client adapter: a LoRA for SmolLM2-135M-Instruct that answers a therapist as a
client, in the first person, with the talk type it is asked for (practice mode's simulated
client, ``coach/practice/client.py``).

Data: client turns from AnnoMI's high-quality transcripts (``../shared/data/annomi``, Public
Domain), each with the therapist turn it answers and its annotated talk type: change, sustain
or neutral; a long answer to an open question is also an elaboration. The prompt is the
product's client prompt (``prompts/practice.yaml``: the same user turn and act instructions)
with a system turn that names the transcript's topic, since AnnoMI has no personas. The loss
covers the reply only. Discord is not in AnnoMI; the product asks for it with the same
instruction, and its checks decide.

Runs in the training venv (see eval/README.md), about 15 minutes on 2 cores. Writes
``coach/llm/weights/client_adapter.gguf`` (f16) and ``client_adapter.json`` (its sha256, the
data counts and the loss).

    .venv-train/bin/python eval/adapter/train_client_adapter.py --convert CONVERT_LORA_TO_GGUF
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

import yaml
from jinja2 import Template

sys.path.insert(0, str(Path(__file__).parent))
from train_adapter import ANNOMI, OUT, clean, sha256, train_lora, training_arguments

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = ROOT / "prompts/practice.yaml"
SYSTEM = (
    "You are a client talking with a therapist about {topic}. Speak only as yourself, in the "
    "first person, in one or two short sentences. Never give or ask for doses, drug sources or "
    "legal advice."
)
SENTENCES = re.compile(r"[^.!?]+[.!?]+")
ELABORATION_WORDS = 16  # an answer this long to an open question tells more of the story
STUTTER = re.compile(r"\b([\w']{1,6})-(?=\1)", re.I)  # "I-I", "i-it's", "you're-you're"
BROKEN_OFF = re.compile(r"\b\w+-\s+")  # "I got- I got caught" -> "I got caught"
# Transcription marks and fragments, and words the simulated client must not learn.
UNUSABLE = re.compile(r"\[|^-|\b(?:retard\w*|fuck\w*|shit\w*|bitch\w*)", re.I)


def spoken(text: str) -> str:
    """A transcribed turn as written speech: no stutters, broken-off words or dashes."""
    text = STUTTER.sub("", clean(text))
    text = BROKEN_OFF.sub("", text).replace("--", ",").replace(" ,", ",")
    return " ".join(text.split())


def client_turns(rng: random.Random) -> dict[str, list[dict]]:
    """act -> [{"topic", "therapist", "client"}], one annotator's rows per transcript."""
    rows = list(csv.DictReader(ANNOMI.open(encoding="utf-8")))
    by_transcript: dict[str, list[dict]] = {}
    for row in rows:
        if row["mi_quality"] == "high":
            by_transcript.setdefault(row["transcript_id"], []).append(row)
    acts: dict[str, list[dict]] = {"change": [], "sustain": [], "neutral": [], "elaboration": []}
    for utterances in by_transcript.values():
        first = utterances[0]["annotator_id"]
        utterances = sorted(
            (u for u in utterances if u["annotator_id"] == first),
            key=lambda u: int(u["utterance_id"]),
        )
        for before, reply in itertools.pairwise(utterances):
            if before["interlocutor"] != "therapist" or reply["interlocutor"] != "client":
                continue
            if UNUSABLE.search(before["utterance_text"]) or UNUSABLE.search(
                reply["utterance_text"]
            ):
                continue
            said = spoken(before["utterance_text"])
            answer = " ".join(
                p.strip() for p in SENTENCES.findall(spoken(reply["utterance_text"]))[:2]
            )
            if not 4 <= len(said.split()) <= 60 or not 5 <= len(answer.split()) <= 45:
                continue
            if not re.search(r"\b(?:I|I'm|I've|me|my)\b", answer):
                continue  # the product's client speaks in the first person
            talk = reply["client_talk_type"]
            item = {"topic": before["topic"].strip(), "therapist": said, "client": answer}
            if (
                talk != "sustain"
                and before["question_subtype"] == "open"
                and len(answer.split()) >= ELABORATION_WORDS
            ):
                acts["elaboration"].append(item)
            elif talk in acts:
                acts[talk].append(item)
    for items in acts.values():
        rng.shuffle(items)
    return acts


def conversation(prompts: dict, act: str, item: dict) -> list[dict]:
    topic = item["topic"] if item["topic"] != "unidentifiable" else "a change in your life"
    user = Template(prompts["client_user"]).render(
        therapist=item["therapist"], first_name="the client", instruction=prompts["acts"][act]
    )
    return [
        {"role": "system", "content": SYSTEM.format(topic=topic)},
        {"role": "user", "content": user},
        {"role": "assistant", "content": item["client"]},
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    training_arguments(parser)
    parser.add_argument("--change", type=int, default=400)
    parser.add_argument("--sustain", type=int, default=400)
    parser.add_argument("--neutral", type=int, default=200)
    parser.add_argument("--elaboration", type=int, default=200)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    prompts = yaml.safe_load(PRACTICE.read_text(encoding="utf-8"))
    available = client_turns(rng)
    chosen = [(act, item) for act in available for item in available[act][: getattr(args, act)]]
    rng.shuffle(chosen)
    counts = Counter(act for act, _ in chosen)
    print(
        f"examples per act: {dict(counts)} (available: "
        f"{ {a: len(v) for a, v in available.items()} })",
        flush=True,
    )
    target, base_file, training = train_lora(
        [conversation(prompts, act, item) for act, item in chosen],
        args,
        "client_adapter.gguf",
        random.Random(args.seed),  # batches ordered as in the committed adapter's run
    )
    record = {
        "file": target.name,
        "sha256": sha256(target),
        "base": base_file.name,
        "base_sha256": sha256(base_file),
        "prompts_sha256": sha256(PRACTICE),
        "data": {"annomi_client_turns": dict(counts), "examples": len(chosen)},
        "training": training,
    }
    (OUT / "client_adapter.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
