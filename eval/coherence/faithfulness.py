"""Can a cheap measure tell a faithful reflection from a fluent, distorted one?

Two sets written by helpers who saw no product file: ``eval/coherence/faithfulness.yaml`` (70
messages, each with a faithful reply and a distorted one: an invented fact, the wrong person,
the reverse, or grandiose filler) and the good replies of ``eval/coherence/calibration.yaml``
(60, written by another writer who was asked to paraphrase). Each measure's threshold is
chosen on half of both (alternating within each kind): the highest that keeps 95% of both
writers' good replies. Figures are on the other half.

    .venv/bin/python eval/coherence/faithfulness.py [--write]

``--write`` stores the threshold of the product's measure (sentence match,
``coach.supervisor.coherence.faithfulness``) in ``prompts/coherence.yaml``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from coach.knowledge.embeddings import get_embeddings
from coach.settings import Settings
from coach.supervisor.coherence.faithfulness import faithfulness, lexical_faithfulness

ROOT = Path(__file__).resolve().parents[2]
KEPT = 0.95


def halves(items: list[dict], key: str) -> tuple[list[dict], list[dict]]:
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item.get(key, ""), []).append(item)
    return (
        [i for k in sorted(groups) for i in groups[k][0::2]],
        [i for k in sorted(groups) for i in groups[k][1::2]],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    embedder = get_embeddings()
    distorted = yaml.safe_load((ROOT / "eval/coherence/faithfulness.yaml").read_text())["items"]
    paraphrased = yaml.safe_load((ROOT / "eval/coherence/calibration.yaml").read_text())["items"]
    d_tune, d_held = halves(distorted, "kind")
    p_tune, p_held = halves(paraphrased, "")
    measures: dict[str, Callable[[str, str], float]] = {
        "sentence match (MiniLM)": lambda m, r: faithfulness(embedder, m, r),
        "content words found": lexical_faithfulness,
    }
    print(
        f"{'measure':<26}{'threshold':>10}{'good kept (A / B)':>19}{'distorted out':>15}  by kind"
    )
    chosen = None
    for name, measure in measures.items():
        a = sorted(measure(i["message"], i["faithful"]) for i in d_tune)
        b = sorted(measure(i["message"], i["good"]) for i in p_tune)
        cut = min(x[int(np.floor((1 - KEPT) * len(x)))] for x in (a, b))
        threshold = round(cut - 0.005, 3)
        kept_a = np.mean([measure(i["message"], i["faithful"]) >= threshold for i in d_held])
        kept_b = np.mean([measure(i["message"], i["good"]) >= threshold for i in p_held])
        caught = {i["kind"]: [] for i in d_held}
        for i in d_held:
            caught[i["kind"]].append(measure(i["message"], i["distorted"]) < threshold)
        out = np.mean([v for vs in caught.values() for v in vs])
        shares = ", ".join(f"{k} {np.mean(v):.0%}" for k, v in sorted(caught.items()))
        print(f"{name:<26}{threshold:>10.3f}{kept_a:>10.0%} / {kept_b:<6.0%}{out:>15.0%}  {shares}")
        if name.startswith("sentence"):
            chosen = threshold
    print("A: faithfulness.yaml's faithful replies; B: calibration.yaml's good replies")
    if args.write and chosen is not None:
        path = settings.prompts_dir / "coherence.yaml"
        text = re.sub(
            r"^faithfulness_threshold: .*$",
            f"faithfulness_threshold: {chosen}",
            path.read_text(encoding="utf-8"),
            flags=re.M,
        )
        path.write_text(text, encoding="utf-8")
        print(f"wrote faithfulness_threshold {chosen} to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
