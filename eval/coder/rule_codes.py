"""How well the coder (rules and trained head) finds the MITI codes that AnnoMI does not label
(Affirm, Seeking Collaboration, Emphasizing Autonomy, Confront, Persuade, Persuade with
Permission), on counsellor utterances written in a separate pass from the rules
(``eval/coder/counsellor_utterances.yaml``; its dev half chose the head's settings, see
eval/coder/train_relational.py, whose --report scores the halves apart).

    .venv/bin/python eval/coder/rule_codes.py                                   # the first set
    .venv/bin/python eval/coder/rule_codes.py eval/coder/counsellor_utterances_4.yaml  # another

Per code: recall (the written code is among the coder's codes) and precision; and how many
MI-non-adherent utterances (Confront, Persuade) the coder missed entirely. Target (issue 19):
recall >= 0.85 per code, no MI-non-adherent utterance missed.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

from coach.coder import code_conversation
from coach.coder.codes import Miti

SET = Path(__file__).with_name("counsellor_utterances.yaml")
RULE_CODES = (
    "Affirm",
    "Seeking Collaboration",
    "Emphasizing Autonomy",
    "Confront",
    "Persuade",
    "Persuade with Permission",
)
NON_ADHERENT = {"Confront", "Persuade"}


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else SET
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    found, predicted, missed_non_adherent = Counter(), Counter(), []
    totals = Counter(i["code"] for i in items)
    for item in items:
        coded = code_conversation(
            [("client", item["client"]), ("therapist", item["text"])], trainee=True
        )
        codes = {c.value for c in coded.utterances[1].miti_codes}
        predicted.update(codes)
        if item["code"] in codes:
            found[item["code"]] += 1
        if item["code"] in NON_ADHERENT and not codes & {Miti.CONFRONT.value, Miti.PERSUADE.value}:
            missed_non_adherent.append(item["text"])
    print(f"{len(items)} utterances\n{'code':26} n    recall  precision")
    for code in sorted(totals, key=lambda c: (c not in RULE_CODES, c)):
        recall = found[code] / totals[code]
        correct = found[code]
        precision = correct / predicted[code] if predicted[code] else 0.0
        print(f"{code:26} {totals[code]:<4} {recall:.2f}    {precision:.2f}")
    n_bad = sum(totals[c] for c in NON_ADHERENT)
    print(
        f"MI-non-adherent utterances with no Confront or Persuade code: "
        f"{len(missed_non_adherent)} of {n_bad}"
    )
    for text in missed_non_adherent[:8]:
        print(f"  missed: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
