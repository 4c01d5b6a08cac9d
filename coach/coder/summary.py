"""Session-level MITI 4.2.1 summary: counts, ratios, estimated global scores, fidelity.

The behaviour counts and ratios follow the MITI 4.2.1 definitions. The four global scores are
*estimates* from utterance codes, not human ratings: each is a documented linear map of code
rates onto 1-5, good enough to follow a trainee's trend, not to certify competence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from coach.coder.codes import MI_ADHERENT, MI_NON_ADHERENT, REFLECTIONS, Miti, UtteranceCodes

Level = Literal["below fair", "fair", "good"]
# MITI 4.2.1 proficiency thresholds: (fair, good).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "reflection_to_question": (1.0, 2.0),
    "percent_complex_reflections": (0.40, 0.50),
    "technical": (3.0, 4.0),
    "relational": (3.5, 4.0),
}


class GlobalScores(BaseModel):
    cultivating_change_talk: float
    softening_sustain_talk: float
    partnership: float
    empathy: float
    technical: float
    relational: float


class SessionSummary(BaseModel):
    counsellor_utterances: int
    client_utterances: int
    counts: dict[str, int]
    talk_counts: dict[str, int]
    reflection_to_question: float | None
    percent_complex_reflections: float | None
    mi_adherent: int
    mi_non_adherent: int
    percent_mi_consistent: float | None
    globals: GlobalScores
    levels: dict[str, Level | None]
    fidelity: float


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


def _scale(fraction: float) -> float:
    """Map a 0-1 quality onto the MITI 1-5 global scale."""
    return round(1 + 4 * _clip(fraction), 2)


def level(name: str, value: float | None) -> Level | None:
    if value is None:
        return None
    fair, good = THRESHOLDS[name]
    return "good" if value >= good else "fair" if value >= fair else "below fair"


def summarise(coded: Sequence[UtteranceCodes]) -> SessionSummary:
    counsellor = [u for u in coded if u.speaker == "therapist"]
    client = [u for u in coded if u.speaker == "client"]
    counts = Counter(code for u in counsellor for code in u.miti_codes)
    talk = Counter(u.talk_type for u in client if u.talk_type)
    n = len(counsellor)

    reflections = sum(counts[c] for c in REFLECTIONS)
    questions = counts[Miti.QUESTION]
    open_questions = sum(1 for u in counsellor if u.question_type == "open")
    r_to_q = round(reflections / questions, 3) if questions else None
    pct_cr = round(counts[Miti.COMPLEX_REFLECTION] / reflections, 3) if reflections else None
    adherent = sum(counts[c] for c in MI_ADHERENT)
    non_adherent = sum(counts[c] for c in MI_NON_ADHERENT)
    consistent = round(sum(not u.mi_non_adherent for u in counsellor) / n, 3) if n else None

    rate = (lambda k: k / n) if n else (lambda k: 0.0)
    voiced = talk["change"] + talk["sustain"]
    change_share = talk["change"] / voiced if voiced else 0.5
    cct = _scale(
        0.4 * change_share
        + 0.3 * rate(open_questions) / 0.3
        + 0.3 * rate(counts[Miti.COMPLEX_REFLECTION]) / 0.3
    )
    sst = _scale(
        0.4 * (1 - (talk["sustain"] / voiced if voiced else 0.5))
        + 0.3 * rate(reflections) / 0.4
        + 0.3 * (1 - rate(non_adherent) / 0.1)
    )
    partnership = _scale(
        0.4
        * rate(
            counts[Miti.SEEKING_COLLABORATION]
            + counts[Miti.EMPHASIZING_AUTONOMY]
            + counts[Miti.PERSUADE_WITH_PERMISSION]
        )
        / 0.1
        + 0.3 * (1 - rate(non_adherent) / 0.1)
        + 0.3 * (min(r_to_q, 2) / 2 if r_to_q is not None else float(reflections > 0))
    )
    empathy = _scale(0.6 * rate(reflections) / 0.4 + 0.4 * (pct_cr or 0) / 0.5)
    globals_ = GlobalScores(
        cultivating_change_talk=cct,
        softening_sustain_talk=sst,
        partnership=partnership,
        empathy=empathy,
        technical=round((cct + sst) / 2, 2),
        relational=round((partnership + empathy) / 2, 2),
    )
    levels = {
        "reflection_to_question": level("reflection_to_question", r_to_q)
        if questions
        else ("good" if reflections else None),
        "percent_complex_reflections": level("percent_complex_reflections", pct_cr),
        "technical": level("technical", globals_.technical),
        "relational": level("relational", globals_.relational),
    }
    return SessionSummary(
        counsellor_utterances=n,
        client_utterances=len(client),
        counts={code.value: counts[code] for code in Miti},
        talk_counts={t: talk[t] for t in ("change", "neutral", "sustain")},
        reflection_to_question=r_to_q,
        percent_complex_reflections=pct_cr,
        mi_adherent=adherent,
        mi_non_adherent=non_adherent,
        percent_mi_consistent=consistent,
        globals=globals_,
        levels=levels,
        fidelity=fidelity(r_to_q, reflections, pct_cr, globals_, consistent),
    )


def fidelity(
    r_to_q: float | None,
    reflections: int,
    pct_cr: float | None,
    globals_: GlobalScores,
    consistent: float | None,
) -> float:
    """One number in [0, 1]: the mean of five parts, each scaled so that reaching the MITI
    4.2.1 'good' threshold scores 1. R:Q (good 2:1; reflections with no questions count as
    good), %CR (good 50%), technical and relational composites (good 4, from a floor of 1), and
    the share of MI-consistent counsellor utterances."""
    if consistent is None:  # no counsellor utterances: nothing to be faithful with
        return 0.0
    rq = 1.0 if r_to_q is None and reflections else _clip((r_to_q or 0) / 2)
    parts = [
        rq,
        _clip((pct_cr or 0) / 0.5),
        _clip((globals_.technical - 1) / 3),
        _clip((globals_.relational - 1) / 3),
        consistent if consistent is not None else 0.0,
    ]
    return round(sum(parts) / len(parts), 3)
