"""Does the simulated client react to MI? For every persona, the MI-consistent and the
MI-inconsistent scripts (this folder) are played as practices, and the client's change-talk
share, sustain-talk share and discord are compared; also how often the verified floor answered,
the practice turn's time and the debrief's.

    .venv/bin/python eval/practice/validity.py [--seeds 3] [--no-model] [--json OUT]

Talk shares count the client's replies by their verified talk type (a generated reply passes
only when the MI coder hears the talk type that was asked for; a written floor line is its
act's talk by construction); ``coder_change`` is the coder's own reading of every reply, shown
beside it. Discord counts the turns whose act was discord.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import yaml

from coach.practice.personas import load_personas
from coach.practice.session import Practice
from coach.settings import Settings

HERE = Path(__file__).parent
SCRIPTS = {"consistent": HERE / "mi_consistent.txt", "inconsistent": HERE / "mi_inconsistent.txt"}


def play(settings: Settings, persona: str, script: str, seed: int, model: bool) -> dict:
    lines = [x for x in SCRIPTS[script].read_text().splitlines() if x.strip()]
    practice = Practice(settings, persona, seed=seed, generate=model)
    turns = [practice.turn(line) for line in lines]
    started = time.perf_counter()
    practice.debrief()
    talk = [t.client.talk for t in turns]
    heard = [t.client.heard for t in turns]
    return {
        "coder_change": heard.count("change") / len(heard),
        "change": talk.count("change") / len(talk),
        "sustain": talk.count("sustain") / len(talk),
        "discord": sum(t.client.act == "discord" for t in turns) / len(turns),
        "floor": sum(t.client.source == "floor" for t in turns) / len(turns),
        "turn_seconds": [t.seconds for t in turns],
        "debrief_seconds": time.perf_counter() - started,
        "replies": [
            {
                "trainee": line,
                "client": t.client.text,
                "act": t.client.act,
                "source": t.client.source,
                "rejected": t.client.rejected,
            }
            for line, t in zip(lines, turns, strict=True)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-model", action="store_true", help="floor lines only (fast)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--personas", nargs="*", help="only these persona ids")
    parser.add_argument(
        "--replies", type=Path, help="write every turn (trainee, client, act, source) as YAML"
    )
    args = parser.parse_args()
    settings = Settings()
    ids = args.personas or list(load_personas(settings.prompts_dir))
    rows, turn_times, debrief_times, floors, played = [], [], [], [], []
    print(f"{'persona':28} {'script':12} change sustain discord floor coder-change")
    for persona in ids:
        for script in SCRIPTS:
            runs = [
                play(settings, persona, script, s, not args.no_model) for s in range(args.seeds)
            ]
            row = {
                k: statistics.mean(r[k] for r in runs)
                for k in ("change", "sustain", "discord", "floor", "coder_change")
            }
            row |= {"persona": persona, "script": script}
            rows.append(row)
            played += [
                {"persona": persona, "script": script, "seed": s, "turns": r["replies"]}
                for s, r in enumerate(runs)
            ]
            turn_times += [t for r in runs for t in r["turn_seconds"]]
            debrief_times += [r["debrief_seconds"] for r in runs]
            floors.append(row["floor"])
            print(
                f"{persona:28} {script:12} {row['change']:.2f}   {row['sustain']:.2f}    "
                f"{row['discord']:.2f}    {row['floor']:.2f}  {row['coder_change']:.2f}"
            )
    by = {(r["persona"], r["script"]): r for r in rows}
    valid = [
        p
        for p in ids
        if by[p, "consistent"]["change"] > by[p, "inconsistent"]["change"]
        and by[p, "consistent"]["sustain"] < by[p, "inconsistent"]["sustain"]
        and by[p, "consistent"]["discord"] < by[p, "inconsistent"]["discord"]
    ]
    n = len(ids)
    print(
        f"\npersonas where MI-consistent talk beats MI-inconsistent on all three: {len(valid)}/{n}"
    )
    print(
        f"practice turn p50 {statistics.median(turn_times):.2f} s, "
        f"p95 {sorted(turn_times)[int(0.95 * (len(turn_times) - 1))]:.2f} s; "
        f"debrief p50 {statistics.median(debrief_times):.2f} s; "
        f"floor answered {statistics.mean(floors):.0%} of client replies"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.replies:
        args.replies.write_text(yaml.safe_dump(played, sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
