"""A blind paired page: two designs' replies to the same reading-set turns, as A and B in an
order fixed by a hash, for a clinician to judge side by side without knowing which is which.

    .venv/bin/python eval/readings/pair_page.py A/report.json B/report.json page.md key.json
    .venv/bin/python eval/readings/pair_page.py --tally key.json read.md

The reader's table rows read ``| # | A verdict | B verdict | better | reason |`` (verdicts:
sign, minor, misread, nonsense); ``--tally`` unblinds them per design.

Turns where either design's reply came from the safety guard, or where both replies are the
same (a written idea both gave), are left out. ``key.json`` says which design is A in each item;
keep it away from the reader.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

INTRO = (
    "Each trainee message below was sent to an AI clinical supervisor for trainees in "
    "psychedelic-assisted therapy. Two candidate supervisor replies follow, labelled A and B "
    "in no particular order. Later messages in a conversation were written in advance, so they "
    "may not follow from either reply."
)


def replies(path: Path) -> dict[tuple[str, int], dict]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return {
        (case["scenario"], reply["index"]): reply | {"title": case["title"]}
        for case in report["cases"]
        for reply in case["replies"]
    }


ROW = re.compile(r"^\| *(\d+) *\| *(\w+) *\| *(\w+) *\| *(\w+) *\|")


def tally(key_path: Path, read_path: Path) -> int:
    key = {k["n"]: k for k in json.loads(key_path.read_text(encoding="utf-8"))}
    verdicts: dict[str, Counter] = {}
    wins: Counter = Counter()
    for line in read_path.read_text(encoding="utf-8").splitlines():
        row = ROW.match(line)
        if not row or int(row.group(1)) not in key:
            continue
        k = key[int(row.group(1))]
        for side, verdict in (("A", row.group(2)), ("B", row.group(3))):
            verdicts.setdefault(k[side], Counter())[verdict.lower()] += 1
        better = row.group(4)
        wins[k[better] if better in ("A", "B") else "equal"] += 1
    for design, counts in verdicts.items():
        usable = counts["sign"] + counts["minor"]
        print(f"{design}: {dict(counts)}; sign or minor {usable} of {sum(counts.values())}")
    print(f"better: {dict(wins)}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--tally":
        return tally(Path(argv[1]), Path(argv[2]))
    if len(argv) != 4:
        print("usage: " + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    first, second = replies(Path(argv[0])), replies(Path(argv[1]))
    names = (Path(argv[0]).parent.name, Path(argv[1]).parent.name)
    lines, key = ["# Paired replies to read\n", INTRO + "\n"], []
    for turn, a in first.items():
        b = second.get(turn)
        if not b or a["flags"] or b["flags"] or a["reply"].strip() == b["reply"].strip():
            continue
        n = len(key) + 1
        flip = int(hashlib.sha256(f"{turn[0]}{turn[1]}".encode()).hexdigest(), 16) % 2
        shown = (b, a) if flip else (a, b)
        key.append(
            {"n": n, "scenario": turn[0], "index": turn[1], "A": names[flip], "B": names[1 - flip]}
        )
        where = f" (turn {turn[1] + 1})" if turn[1] else ""
        lines += [
            f"## {n}. {a['title']}{where}\n",
            f"**Trainee:** {a['trainee']}\n",
            f"**A:** {shown[0]['reply']}\n",
            f"**B:** {shown[1]['reply']}\n",
        ]
    Path(argv[2]).write_text("\n".join(lines), encoding="utf-8")
    Path(argv[3]).write_text(json.dumps(key, indent=1), encoding="utf-8")
    print(f"{len(key)} paired turns -> {argv[2]} (key: {argv[3]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
