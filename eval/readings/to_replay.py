"""Recorded replies of an eval report as a replay file, so they can be scored again with
today's checks (``mie-coach eval run SUITE --replay FILE``) without generating anything.

    .venv/bin/python eval/readings/to_replay.py reports/readings-before/report.json \
        eval/readings/before.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(report: Path, out: Path) -> int:
    data = json.loads(report.read_text(encoding="utf-8"))
    with out.open("w", encoding="utf-8") as f:
        for case in data["cases"]:
            turns = [
                {
                    "trainee": r["trainee"],
                    "supervisor": r["reply"],
                    "status": r["status"],
                    "sources": r["sources"],
                    "seconds": r["seconds"],
                    "first_token_seconds": r["first_token_seconds"],
                }
                for r in case["replies"]
            ]
            f.write(
                json.dumps(
                    {
                        "id": case["scenario"],
                        "suite": case["suite"],
                        "scenario": case["scenario"],
                        "focus": case["focus"],
                        "turns": turns,
                    }
                )
                + "\n"
            )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
