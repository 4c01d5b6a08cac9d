"""Calibrate and measure the coherence checks on written good and bad replies.

``eval/coherence/calibration.yaml`` (60 trainee messages, each with a good reply and a generic,
an off-topic and a wrong-role one) was written by a helper who saw no product file. The items
are split in two: the relevance threshold is chosen on the even items (the lowest good score
there, less a margin, so that at least 95% of good replies pass), and every figure printed
under "held out" comes from the odd items, which took no part in choosing it.

    .venv/bin/python eval/coherence/calibrate.py [--write]

``--write`` stores the chosen threshold in ``prompts/coherence.yaml``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import yaml

from coach.settings import Settings
from coach.supervisor.coherence import coherence_checker
from coach.supervisor.coherence.role import role_problems

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "eval/coherence/calibration.yaml"
KINDS = ("good", "generic", "off_topic", "wrong_role")
GOOD_KEPT = 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    checker = coherence_checker(settings.prompts_dir)
    items = yaml.safe_load(DATA.read_text(encoding="utf-8"))["items"]
    halves = {"tune": items[0::2], "held out": items[1::2]}
    scores: dict[str, dict[str, list[float]]] = {}
    cosines: dict[str, dict[str, list[float]]] = {}
    embed = checker.relevance.embedder
    for half, chosen in halves.items():
        scores[half] = {k: [] for k in KINDS}
        cosines[half] = {k: [] for k in KINDS}
        for item in chosen:
            replies = [item[k] for k in KINDS]
            for kind, score in zip(
                KINDS, checker.relevance.scores(item["message"], replies), strict=True
            ):
                scores[half][kind].append(score)
            vectors = embed.encode([item["message"], *replies])
            for kind, cos in zip(KINDS, vectors[1:] @ vectors[0], strict=True):
                cosines[half][kind].append(float(cos))

    def pick(values: dict[str, list[float]]) -> float:
        good = sorted(values["good"])
        return round(good[int(np.floor((1 - GOOD_KEPT) * len(good)))] - 0.005, 3)

    print(
        f"{'measure':<28}{'threshold':>10}{'good kept':>11}{'generic out':>13}{'off-topic out':>15}"
    )
    for name, table in (("relevance (vs anchors)", scores), ("raw cosine to message", cosines)):
        threshold = pick(table["tune"])
        held = table["held out"]
        kept = np.mean([s >= threshold for s in held["good"]])
        generic = np.mean([s < threshold for s in held["generic"]])
        off = np.mean([s < threshold for s in held["off_topic"]])
        print(f"{name:<28}{threshold:>10.3f}{kept:>11.0%}{generic:>13.0%}{off:>15.0%}")
        if name.startswith("relevance"):
            chosen_threshold = threshold
    print()
    print("role check (all 60 items; the rules were written before the set was read):")
    for kind in KINDS:
        flagged = [bool(role_problems(i[kind])) for i in items]
        print(f"  {kind:<11} flagged {np.mean(flagged):.0%}")
    missed = [i["wrong_role"] for i in items if not role_problems(i["wrong_role"])]
    wrongly = [(i["good"], role_problems(i["good"])) for i in items if role_problems(i["good"])]
    for text in missed[:5]:
        print("  missed wrong_role:", text)
    for text, why in wrongly[:5]:
        print("  flagged good:", text, why)
    if args.write:
        path = settings.prompts_dir / "coherence.yaml"
        text = path.read_text(encoding="utf-8")
        text = re.sub(
            r"^relevance_threshold: .*$",
            f"relevance_threshold: {chosen_threshold}",
            text,
            flags=re.M,
        )
        path.write_text(text, encoding="utf-8")
        print(f"wrote relevance_threshold {chosen_threshold} to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
