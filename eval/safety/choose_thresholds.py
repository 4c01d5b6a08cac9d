"""Choose the guard's thresholds on development data, and show what each choice costs.

    .venv/bin/python eval/safety/choose_thresholds.py [--write]

Risk messages and edgy ordinary ones: guard-dev, guard-dev2 and guard-heldout to guard-heldout6
(all eight have had their misses read, so all are development data now).
Ordinary messages: realistic trainee messages written for other purposes by writers who never
saw the guard (the trainee side of eval/adapter/supervision_pairs.yaml and the messages of
eval/coherence/calibration.yaml): the false alarms that a trainee meets in a normal week. Not
used here: none held out; the next change to the guard needs a fresh, blind suite.

Three thresholds, a rule and two least shares form the policy (``decide`` in
coach/supervisor/guard/semantic.py): the risk threshold (the best segment's summed risk, when its
top category is not a crisis), the crisis threshold (the same when it is, under the ``top`` rule;
a segment's crisis categories summed, under ``mass``), a floor under every per-category
threshold (a second category), and the least share of the segment's risk that the raised
category must hold (one share for a request, one for a crisis).
The rule: the fewest crisis messages missed, flagged at all >= MIN_FLAGGED, then the lowest
mean of the two false-alarm rates (the suites' edgy messages and the realistic ones); ties go
to lower thresholds.

Not simulated here: the corroboration rule for messages of 80 words or more (guard.json
``corroboration``, applied after ``decide``). It can only drop a flag, so for long messages
the flagged share and the false alarms this search reports are upper bounds; re-score the
suites with `mie-coach eval run` after choosing.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import yaml

from coach.evals.suites import load_suite, resolve_suite
from coach.settings import Settings
from coach.supervisor.guard.categories import CRISIS
from coach.supervisor.guard.patterns import detect_patterns
from coach.supervisor.guard.semantic import WEIGHTS_DIR, Policy, SemanticDetector

ROOT = Path(__file__).resolve().parents[2]
GRID = (0.3, 0.4, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99)
LEAST = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
LEAST_CRISIS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)
RULES = ("top", "mass")  # how a crisis is decided (coach/supervisor/guard/semantic.py: decide)
# The recall target. It stood at 0.97 while no policy with the fewest crisis misses kept
# 0.98 without flagging one realistic message in ten; the least shares made 0.98 affordable.
MIN_FLAGGED = 0.98
DEVELOPMENT = (
    "guard-dev",
    "guard-dev2",
    "guard-heldout",
    "guard-heldout2",
    "guard-heldout3",
    "guard-heldout4",
    "guard-heldout5",
    "guard-heldout6",
)


class Features:
    """What ``decide`` reads from each message's scores, for many messages at once: the search
    tries some 30,000 policies, so each one is a few array comparisons
    (tests/test_guard.py checks that this agrees with ``decide``)."""

    def __init__(self, scored: list[np.ndarray], crisis: np.ndarray) -> None:
        self.crisis = crisis
        best_risk, top, top_share, mass, mass_share, column = [], [], [], [], [], []
        for values in scored:
            risk = values.sum(axis=1)
            best = int(risk.argmax())
            best_risk.append(risk[best])
            top.append(int(values[best].argmax()))
            top_share.append(values[best, top[-1]] / max(float(risk[best]), 1e-9))
            crisis_values = np.where(crisis, values, 0.0)
            segment = int(crisis_values.sum(axis=1).argmax())
            mass.append(crisis_values[segment].sum())
            mass_share.append(
                crisis_values[segment].max() / max(float(crisis_values[segment].sum()), 1e-9)
            )
            column.append(values.max(axis=0))
        self.best_risk, self.top_share = np.array(best_risk), np.array(top_share)
        self.top_is_crisis = crisis[np.array(top, dtype=int)]
        self.mass, self.mass_share = np.array(mass), np.array(mass_share)
        self.column = np.array(column).reshape(len(scored), len(crisis))

    def raised(self, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
        """Per message: any category raised, and a crisis category raised."""
        by_top = self.top_is_crisis & (policy.crisis_rule == "top")
        share = np.where(self.top_is_crisis, policy.least_crisis, policy.least)
        risk = (self.best_risk >= np.where(by_top, policy.crisis, policy.risk)) & (
            self.top_share >= share
        )
        mass = (
            (policy.crisis_rule == "mass")
            & (self.mass >= policy.crisis)
            & (self.mass_share >= policy.least_crisis)
        )
        own = self.column >= policy.limits
        any_raised = risk | mass | own.any(axis=1)
        crisis_raised = (risk & self.top_is_crisis) | mass | own[:, self.crisis].any(axis=1)
        return any_raised, crisis_raised


def realistic_ordinary() -> list[str]:
    """Trainee messages with no risk, written for other purposes: the first supervision
    pairs, the coherence calibration set and the first reading set (its turns)."""
    pairs = yaml.safe_load((ROOT / "eval/adapter/supervision_pairs.yaml").read_text())["pairs"]
    items = yaml.safe_load((ROOT / "eval/coherence/calibration.yaml").read_text())["items"]
    readings = yaml.safe_load((ROOT / "eval/readings/readings.yaml").read_text())["scenarios"]
    return (
        [p["trainee"] for p in pairs]
        + [i["message"] for i in items]
        + [turn for s in readings for turn in s["turns"]]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="store the choice in guard.json")
    parser.add_argument(
        "--weights",
        type=Path,
        default=WEIGHTS_DIR,
        help="the model's folder (default: the shipped one)",
    )
    parser.add_argument(
        "--suites",
        default=",".join(DEVELOPMENT),
        help="comma-separated detection suites to choose on (default: every read suite; "
        "leave out those the model was trained on)",
    )
    args = parser.parse_args()
    settings = Settings()
    detector = SemanticDetector(args.weights)
    categories = detector.categories
    crisis = detector.crisis_mask
    # Each category's own threshold from the training split (a second category must clear
    # every held-out ordinary bank item); the policy only raises them.
    split = detector.meta.get("split_thresholds", detector.meta["thresholds"])
    own = np.array([split[c] for c in categories])

    def scored(texts: list[str]) -> tuple[Features, np.ndarray]:
        return (
            Features([detector.scores(t).values for t in texts], crisis),
            np.array([bool(detect_patterns(t)) for t in texts]),
        )

    risk_texts, risk_crisis, ordinary_texts = [], [], []
    for name in args.suites.split(","):
        suite = load_suite(resolve_suite(name, settings.suites_dir))
        for m in suite.messages:
            if m.expect:
                risk_texts.append(m.text)
                risk_crisis.append(bool(set(m.expect) & set(CRISIS)))
            else:
                ordinary_texts.append(m.text)
    realistic_texts = realistic_ordinary()
    risky, risky_patterns = scored(risk_texts)
    is_crisis = np.array(risk_crisis)
    ordinary, ordinary_patterns = scored(ordinary_texts)
    realistic, realistic_patterns = scored(realistic_texts)

    rows = []
    for risk_t, crisis_t, floor, rule, least, least_crisis in itertools.product(
        GRID, GRID, GRID, RULES, LEAST, LEAST_CRISIS
    ):
        limits = np.maximum(own, np.where(crisis, crisis_t, floor))
        policy = Policy(risk_t, crisis_t, limits, rule, least, least_crisis)
        found, crisis_found = risky.raised(policy)
        missed = int((is_crisis & ~crisis_found & ~risky_patterns).sum())
        flagged = float((found | risky_patterns).mean())
        dev_fp = float((ordinary.raised(policy)[0] | ordinary_patterns).mean())
        real_fp = float((realistic.raised(policy)[0] | realistic_patterns).mean())
        rows.append(
            (risk_t, crisis_t, floor, flagged, missed, dev_fp, real_fp, rule, least, least_crisis)
        )
    fewest = min(r[4] for r in rows)
    eligible = [r for r in rows if r[4] == fewest and r[3] >= MIN_FLAGGED]
    if eligible:  # ties go to lower thresholds and smaller shares: the fewest risks given up
        choice = min(
            eligible,
            key=lambda r: (r[5] + r[6], r[6], r[0], r[1], r[2], r[8], r[9], r[7] != "top"),
        )
    else:  # nothing keeps MIN_FLAGGED: the most risk flagged among the fewest crisis misses
        choice = max((r for r in rows if r[4] == fewest), key=lambda r: (r[3], -r[6]))
    print(
        f"{len(risk_texts)} risk and {len(ordinary_texts)} ordinary development messages; "
        f"{len(realistic_texts)} realistic ordinary messages; {len(rows)} policies"
    )
    print("risk  crisis floor rule least l-cri | flagged crisis-missed | dev FP | realistic FP")
    now = detector.policy
    floor_now = float(now.limits[~crisis].min())
    shipped = (now.risk, now.crisis, floor_now, now.crisis_rule, now.least, now.least_crisis)
    previous = next((r for r in rows if (r[0], r[1], r[2], r[7], r[8], r[9]) == shipped), None)
    shown = sorted(rows, key=lambda r: (r[4], r[5] + r[6]))[:12]
    shown += [r for r in (choice, previous) if r is not None and r not in shown]
    for r in shown:
        mark = "  <- chosen" if r == choice else "  <- in guard.json now" if r == previous else ""
        print(
            f"{r[0]:<5} {r[1]:<6} {r[2]:<5} {r[7]:<4} {r[8]:<5} {r[9]:<5} | {r[3]:.3f}   "
            f"{r[4]:<13} | {r[5]:.3f}  | {r[6]:.3f}{mark}"
        )
    if args.write:
        path = args.weights / "guard.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["risk_threshold"], meta["crisis_threshold"] = choice[0], choice[1]
        meta["crisis_rule"] = choice[7]
        meta["least_share"], meta["least_crisis_share"] = choice[8], choice[9]
        meta["thresholds"] = {
            c: round(float(max(own[j], choice[1] if crisis[j] else choice[2])), 4)
            for j, c in enumerate(categories)
        }
        meta["split_thresholds"] = split
        meta["thresholds_chosen_by"] = "eval/safety/choose_thresholds.py"
        path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
