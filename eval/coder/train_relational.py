"""Train the coder's relational head (coach/coder/relational.py), reproducibly, in a minute.

    .venv/bin/python eval/coder/train_relational.py           # train, choose, write weights
    .venv/bin/python eval/coder/train_relational.py --report  # also score the held-out parts

Training data: the counsellor banks in eval/coder/bank/ (written for this product, blind to the
rules and to the evaluation set) and the evaluation sets 2 to 9 (read since they were scored),
plus real counsellors' reflections and questions from AnnoMI's high-quality MI sessions as
examples of none of these codes (AnnoMI does not label them; in high-quality MI they are rare,
so this is near enough, and it teaches the head what ordinary counselling sounds like).

AnnoMI's high-quality transcripts are split three ways by a hash of their id: negatives for
training, a calibration part, and a report part. Thresholds: per code, the lowest that keeps
the head's false alarms on the calibration part within FALSE_ALARM_BUDGET (real reflections and
questions coded as that code). The evaluation set (counsellor_utterances.yaml, written in
another pass) is split into halves, stratified by code, by a hash of each text: the *dev* half
chooses the regularisation; the *test* half and the AnnoMI report part are only scored
(--report). Writes coach/coder/weights/relational.{json,npz}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rule_codes import NON_ADHERENT  # noqa: E402  (this folder: the script's own path)
from rule_codes import RULE_CODES as CODES  # noqa: E402

from coach.coder.relational import (  # noqa: E402
    META,
    NONE,
    WEIGHTS,
    client_tokens,
)
from coach.coder.rules import normalise  # noqa: E402

BANK = REPO / "eval/coder/bank"
EVAL_SET = REPO / "eval/coder/counsellor_utterances.yaml"
# Sets 2 to 10 were written later, in other passes, blind to the rules and the banks; each was
# scored fresh (docs/practice.md) and has been read since, so they now train the head.
READ_SETS = tuple(REPO / f"eval/coder/counsellor_utterances_{n}.yaml" for n in range(2, 11))
# Written after the head that trained on sets 2 to 9 was shipped: only scored (--report).
FRESH_SET = REPO / "eval/coder/counsellor_utterances_11.yaml"
TARGET_RECALL = 0.85  # issue 19's target, per code; reported, not forced
GRID_C = (1.0, 3.0, 10.0, 30.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.01))
# Share of real reflections and questions a code may claim. A false Confront in a trainee's
# feedback does the most harm, so it gets the smallest budget (chosen on the dev half).
FALSE_ALARM_BUDGET = {
    "Affirm": 0.03,
    "Seeking Collaboration": 0.03,
    "Emphasizing Autonomy": 0.03,
    "Confront": 0.02,
    "Persuade": 0.03,
    "Persuade with Permission": 0.03,
}
NEGATIVES = 2000  # AnnoMI utterances added to training as "none"


def load(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def label(item: dict) -> str:
    return item["code"] if item["code"] in CODES else NONE


def halves(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """(dev, test): within each code, items sorted by a hash of their text, alternating."""
    dev, test = [], []
    by_code: dict[str, list[dict]] = {}
    for item in items:
        by_code.setdefault(item["code"], []).append(item)
    for group in by_code.values():
        group.sort(key=lambda i: hashlib.sha256(i["text"].encode()).hexdigest())
        for k, item in enumerate(group):
            (dev if k % 2 == 0 else test).append(item)
    return dev, test


def vectorizers() -> dict[str, tuple[str, TfidfVectorizer]]:
    return {
        "words": (
            "text",
            TfidfVectorizer(
                analyzer="word", ngram_range=(1, 3), min_df=2, sublinear_tf=True, lowercase=False
            ),
        ),
        "chars": (
            "text",
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                min_df=3,
                max_features=12000,
                sublinear_tf=True,
                lowercase=False,
            ),
        ),
        "client": (
            "client",
            TfidfVectorizer(
                analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=False
            ),
        ),
    }


def fields(items: list[dict]) -> dict[str, list[str]]:
    return {
        "text": [normalise(i["text"]) for i in items],
        "client": [client_tokens(i.get("client", "")) for i in items],
    }


class Model:
    def __init__(self, items: list[dict], c: float) -> None:
        self.vecs = vectorizers()
        data = fields(items)
        x = hstack([v.fit_transform(data[f]) for f, v in self.vecs.values()]).tocsr()
        self.labels = [NONE, *CODES]
        y = [self.labels.index(label(i)) for i in items]
        self.clf = LogisticRegression(C=c, max_iter=4000, class_weight="balanced")
        self.clf.fit(x, y)

    def probabilities(self, items: list[dict]) -> np.ndarray:
        data = fields(items)
        x = hstack([v.transform(data[f]) for f, v in self.vecs.values()]).tocsr()
        p = np.zeros((len(items), len(self.labels)))
        p[:, self.clf.classes_] = self.clf.predict_proba(x)
        return p


class TrialHead:
    """A trained model with trial thresholds, in the shape the coder reads
    (coach.coder.relational.RelationalHead: labels, thresholds, probabilities), with the
    probabilities computed in advance."""

    labels = (NONE, *CODES)

    def __init__(self, model: Model, items: list[dict], thresholds: dict[str, float]) -> None:
        self.p = {
            (i.get("client", ""), i["text"]): row
            for i, row in zip(items, model.probabilities(items), strict=True)
        }
        self.thresholds = thresholds

    def row(self, previous: str, text: str) -> np.ndarray:
        return self.p[(previous, text)]


@cache
def _coder_inputs(client: str, text: str):
    """The coder without its head, and the classifier's probabilities for one item (the
    expensive part, computed once)."""
    coder = _rule_coder()
    starts = np.array([True, False])
    p = coder.classifier.probabilities(["client", "therapist"], [client, text], starts)
    return {name: v[1] for name, v in p.items()}


@cache
def _rule_coder():
    from coach.coder.offline import OfflineCoder

    return OfflineCoder(relational=False)


def coded(items: list[dict], head: TrialHead | None) -> list[set[str]]:
    """What the coder codes for each item, with ``head`` in place of the shipped one: the
    same code path as the product (OfflineCoder._counsellor)."""
    coder = _rule_coder()
    out = []
    for item in items:
        client, text = item.get("client", ""), item["text"]
        p = _coder_inputs(client, text)
        if head is not None:
            p = p | {"relational": head.row(client, text)}
        coder.relational = head
        try:
            codes = coder._counsellor(text, client, p)
        finally:
            coder.relational = None
        out.append({c.value for c in codes.miti_codes} & set(CODES))
    return out


def scores(items: list[dict], found: list[set[str]]) -> dict[str, dict[str, float]]:
    totals = Counter(i["code"] for i in items)
    result = {}
    for code in CODES:
        hits = sum(1 for i, f in zip(items, found, strict=True) if i["code"] == code and code in f)
        predicted = sum(1 for f in found if code in f)
        result[code] = {
            "n": totals[code],
            "recall": hits / totals[code] if totals[code] else 0.0,
            "precision": hits / predicted if predicted else 0.0,
        }
    missed = [
        i["text"]
        for i, f in zip(items, found, strict=True)
        if i["code"] in NON_ADHERENT and not f & NON_ADHERENT
    ]
    result["non_adherent_missed"] = {"n": len(missed), "examples": missed[:6]}  # type: ignore[dict-item]
    return result


def annomi_parts(folder: Path) -> dict[str, list[dict]]:
    """AnnoMI's high-quality reflections and questions, each with the utterance before it,
    split by transcript into negatives / calibration / report."""
    import pandas as pd

    data = pd.read_csv(folder / "AnnoMI-simple.csv").sort_values(["transcript_id", "utterance_id"])
    data["previous"] = data.groupby("transcript_id").utterance_text.shift(1).fillna("")
    rows = data[
        (data.mi_quality == "high")
        & (data.interlocutor == "therapist")
        & data.main_therapist_behaviour.isin(["reflection", "question"])
    ]
    parts: dict[str, list[dict]] = {"negatives": [], "calibration": [], "report": []}
    names = ("negatives", "negatives", "calibration", "report")
    for r in rows.itertuples():
        part = names[int(hashlib.sha256(str(r.transcript_id).encode()).hexdigest(), 16) % 4]
        parts[part].append(
            {"client": str(r.previous), "text": str(r.utterance_text), "code": "AnnoMI"}
        )
    rng = np.random.default_rng(0)
    order = rng.permutation(len(parts["negatives"]))[:NEGATIVES]
    parts["negatives"] = [parts["negatives"][i] for i in sorted(order)]
    return parts


def choose(model: Model, calibration: list[dict]) -> dict[str, float]:
    """Per code, the lowest threshold whose false alarms on the calibration part stay within
    the code's budget."""
    p = model.probabilities(calibration)
    chosen = {}
    for k, code in enumerate(CODES, 1):
        within = [t for t in THRESHOLDS if (p[:, k] >= t).mean() <= FALSE_ALARM_BUDGET[code]]
        chosen[code] = within[0] if within else 1.01
    return chosen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", action="store_true", help="Score the held-out parts.")
    ap.add_argument("--annomi", type=Path, default=REPO.parent / "shared/data/annomi")
    args = ap.parse_args()
    bank = [i for path in sorted(BANK.glob("*.yaml")) for i in load(path)]
    bank += [i for path in READ_SETS for i in load(path)]
    annomi = annomi_parts(args.annomi)
    training = bank + annomi["negatives"]
    dev, test = halves(load(EVAL_SET))
    print(f"bank and sets 2-6: {len(bank)} items {dict(Counter(label(i) for i in bank))}")
    print(
        f"AnnoMI high-quality reflections and questions: {len(annomi['negatives'])} negatives, "
        f"{len(annomi['calibration'])} calibration, {len(annomi['report'])} report"
    )
    print(f"evaluation set: dev half {len(dev)}, test half {len(test)}")

    best = None
    for c in GRID_C:
        model = Model(training, c)
        thresholds = choose(model, annomi["calibration"])
        s = scores(dev, coded(dev, TrialHead(model, dev, thresholds)))
        recalls = [s[code]["recall"] for code in CODES]
        key = (-s["non_adherent_missed"]["n"], min(recalls), float(np.mean(recalls)))
        print(
            f"C={c:<5} dev worst recall {min(recalls):.2f}, mean {np.mean(recalls):.2f}, "
            f"non-adherent missed {s['non_adherent_missed']['n']}"
        )
        if best is None or key > best[0]:
            best = (key, c, model, thresholds)
    _, c, model, thresholds = best
    print(f"chosen C={c}, thresholds " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()))
    write(model, thresholds, c, training)
    if args.report:
        parts = [("dev half", dev), ("test half", test)]
        if FRESH_SET.exists():
            parts.append(("eleventh set", load(FRESH_SET)))
        for name, items in parts:
            for label_, head in (
                ("rules only", None),
                ("head + rules", TrialHead(model, items, thresholds)),
            ):
                s = scores(items, coded(items, head))
                print(f"\n{name} ({len(items)} utterances), {label_}")
                for code in CODES:
                    print(
                        f"  {code:26} n={s[code]['n']:<3} recall {s[code]['recall']:.2f}  "
                        f"precision {s[code]['precision']:.2f}"
                    )
                print(f"  MI-non-adherent missed: {s['non_adherent_missed']['n']}")
                for text in s["non_adherent_missed"]["examples"]:
                    print(f"    missed: {text}")
        false_alarms(annomi["report"], model, thresholds)
    return 0


def false_alarms(items: list[dict], model: Model, thresholds: dict[str, float]) -> None:
    """Real counsellors' reflections and questions (the AnnoMI report part, never used to
    choose) as the coder codes them, with and without the head."""
    print(f"\nAnnoMI report part: {len(items)} high-quality reflections and questions coded as")
    for name, head in (("rules only", None), ("head + rules", TrialHead(model, items, thresholds))):
        found = coded(items, head)
        share = {c: sum(c in f for f in found) / len(found) for c in CODES}
        print(f"  {name:13} " + ", ".join(f"{c} {v:.1%}" for c, v in share.items()))


def write(model: Model, thresholds: dict[str, float], c: float, bank: list[dict]) -> None:
    arrays: dict[str, np.ndarray] = {
        "coef": model.clf.coef_.astype(np.float32),
        "intercept": model.clf.intercept_.astype(np.float32),
    }
    specs = {}
    for name, (field, vec) in model.vecs.items():
        arrays[f"{name}.idf"] = vec.idf_.astype(np.float64)
        specs[name] = {
            "field": field,
            "analyzer": vec.analyzer,
            "ngram_range": list(vec.ngram_range),
            "vocabulary": {k: int(v) for k, v in sorted(vec.vocabulary_.items())},
        }
    npz = WEIGHTS / "relational.npz"
    with npz.open("wb") as out:  # np.savez_compressed is deterministic for the same arrays
        np.savez_compressed(out, **arrays)
    bank_text = "\n".join(f"{i.get('client', '')}\t{i['text']}\t{i['code']}" for i in bank)
    meta = {
        "kind": "tf-idf n-grams, multinomial logistic regression",
        "labels": [NONE, *CODES],
        "thresholds": {c: float(t) for c, t in thresholds.items()},
        "C": c,
        "file": npz.name,
        "sha256": hashlib.sha256(npz.read_bytes()).hexdigest(),
        "training_items": len(bank),
        "training_sha256": hashlib.sha256(bank_text.encode()).hexdigest(),
        "vectorizers": specs,
    }
    (WEIGHTS / META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS / META} and {npz.name} ({npz.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    sys.exit(main())
