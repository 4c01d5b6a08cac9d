"""Turn an eval report of the reading set into a page a clinician can read.

    .venv/bin/python eval/readings/render.py reports/readings-after/report.json \
        eval/readings/after.md --title "The new design (moves, adapter, verified floor)"

Every trainee message with the supervisor's reply exactly as the product gave it, how the reply
was made (guard, model, repaired, floor), and each check it failed, in words.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

OFFERS = Path(__file__).resolve().parents[2] / "prompts/offers.yaml"
LEADS = tuple(
    lead.split("{offer}")[0].strip()
    for lead in yaml.safe_load(OFFERS.read_text(encoding="utf-8"))["leads"]
)


def how(reply: dict) -> str:
    if reply.get("guidance_mode") == "guard":
        return "safety guard: " + ", ".join(reply.get("flags") or [])
    if reply.get("floor"):
        return "composed"
    if reply["reply"].startswith(LEADS):
        return "written idea"
    if reply.get("repaired"):
        return "model, repaired"
    return "model" + (", revised after streaming" if reply.get("revised") else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--title", default="Replies on the reading set")
    args = parser.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))
    run, metrics = report["run"], report["metrics"]
    lines = [
        f"# {args.title}",
        "",
        f"Generated from `{args.report}` by `eval/readings/render.py`: backend "
        f"{run['backend']}, model {run['model']}, prompt version {run['prompt_version']}, "
        f"seed {run['seed']}, {run['started_at']}. Replies are unedited.",
        "",
        f"- replies passing every coherence check: {_pct(metrics.get('coherence_pass_rate'))}",
    ]
    for name, rate in (metrics.get("coherence_by_check") or {}).items():
        lines.append(f"  - {name}: {_pct(rate)}")
    ideas = sum(how(r) == "written idea" for case in report["cases"] for r in case["replies"])
    lines += [
        f"- with a reflection or an open question: "
        f"{_pct(metrics['percent_reflection_or_open_question'])}",
        f"- MI-non-adherent replies: {metrics['mi_non_adherent_replies']}",
        f"- answered by the safety guard / composed (the verified floor) / a written idea / "
        f"revised after streaming: {metrics['guard_replies']} / "
        f"{metrics.get('floor_replies', 0)} / {ideas} / "
        f"{metrics['revised_replies']} of {metrics['replies']}",
        f"- turn time p50 {metrics['median_turn_seconds']} s, first text p50 "
        f"{metrics['median_first_token_seconds']} s",
        "",
    ]
    for case in report["cases"]:
        lines += [f"## {case['title']}", "", f"*{case['focus']} · `{case['scenario']}`*", ""]
        for reply in case["replies"]:
            failed = [c for c in reply["checks"] if not c["passed"]]
            lines += [
                f"**Trainee:** {reply['trainee']}",
                "",
                f"**Supervisor** ({how(reply)}): {reply['reply']}",
                "",
            ]
            if failed:
                lines += [
                    "> fails: " + "; ".join(f"{c['name']} ({c['reason']})" for c in failed),
                    "",
                ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


if __name__ == "__main__":
    raise SystemExit(main())
