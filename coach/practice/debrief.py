"""The AI supervisor's debrief of a practice, in MI style: elicit, provide, elicit.

Composed from parts that are right by construction rather than generated: it asks what the
trainee noticed, offers the MITI summary with permission, names one or two strengths with
the trainee's own words as evidence, one growth point with a concrete alternative built from
what the client said, and asks for the trainee's own next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coach.coder.codes import Miti, UtteranceCodes
from coach.coder.summary import THRESHOLDS, SessionSummary
from coach.llm.templates import render
from coach.supervisor.floor import said_back

STRENGTHS: tuple[tuple[Miti, str], ...] = (
    (Miti.COMPLEX_REFLECTION, "a complex reflection, which went beyond the words"),
    (Miti.EMPHASIZING_AUTONOMY, "you left the choice with the client"),
    (Miti.AFFIRM, "you affirmed a strength"),
    (Miti.SEEKING_COLLABORATION, "you asked for the client's own ideas"),
    (Miti.SIMPLE_REFLECTION, "a reflection that showed you were listening"),
)


@dataclass(frozen=True)
class Exchange:
    trainee: str
    codes: UtteranceCodes
    client_before: str  # what the client had just said


def miti_lines(summary: SessionSummary, codes: Sequence[UtteranceCodes]) -> list[str]:
    """The trainee's running MITI figures against the fair / good thresholds."""
    questions = [c for c in codes if Miti.QUESTION in c.miti_codes]
    open_share = (
        sum(c.question_type == "open" for c in questions) / len(questions) if questions else None
    )
    rq, cr = summary.reflection_to_question, summary.percent_complex_reflections
    fair_rq, good_rq = THRESHOLDS["reflection_to_question"]
    fair_cr, good_cr = THRESHOLDS["percent_complex_reflections"]
    return [
        f"reflections to questions {rq if rq is not None else '-'} "
        f"(fair {fair_rq}, good {good_rq}; {summary.levels.get('reflection_to_question') or '-'})",
        f"complex reflections {_pct(cr)} (fair {_pct(fair_cr)}, good {_pct(good_cr)}; "
        f"{summary.levels.get('percent_complex_reflections') or '-'})",
        f"open questions {_pct(open_share)} of questions",
        f"MI-adherent {summary.mi_adherent}, MI-non-adherent {summary.mi_non_adherent}",
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def debrief(
    exchanges: Sequence[Exchange],
    summary: SessionSummary,
    texts: dict[str, str],
    client_name: str,
) -> str:
    lines = [render(texts["elicit_open"], first_name=client_name), texts["permission"]]
    lines.append(
        "Here is what the coding picked up: "
        + "; ".join(miti_lines(summary, [e.codes for e in exchanges]))
        + "."
    )
    strengths = _strengths(exchanges)
    for label, said in strengths:
        lines.append(f'{texts["strength_intro"]} {label}, when you said "{said}"')
    if not strengths:
        lines.append(f"{texts['strength_intro']} you stayed with {client_name} to the end.")
    lines.append(f"{texts['growth_intro']} {_growth(exchanges)}")
    lines.append(texts["elicit_close"])
    return "\n\n".join(lines)


def _strengths(exchanges: Sequence[Exchange]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for code, label in STRENGTHS:
        for e in exchanges:
            if code in e.codes.miti_codes and not e.codes.mi_non_adherent:
                found.append((label, e.trainee.strip()))
                break
        if len(found) == 2:
            break
    return found


def _growth(exchanges: Sequence[Exchange]) -> str:
    for e in exchanges:
        if Miti.CONFRONT in e.codes.miti_codes or Miti.PERSUADE in e.codes.miti_codes:
            kind = "confronted" if Miti.CONFRONT in e.codes.miti_codes else "persuaded"
            return (
                f'when you said "{e.trainee.strip()}", the coding heard that you {kind}. '
                f'A reflection of what the client had just said, such as "It sounds like '
                f'{said_back(e.client_before)}.", followed by asking permission before any '
                f"idea of yours, keeps the choice with them."
            )
    closed = [e for e in exchanges if e.codes.question_type == "closed"]
    if len(closed) >= 2:
        return (
            f'several closed questions, such as "{closed[0].trainee.strip()}". An open question '
            f'or a reflection invites more: for example, "It sounds like '
            f'{said_back(closed[0].client_before)}."'
        )
    questions = [e for e in exchanges if Miti.QUESTION in e.codes.miti_codes]
    reflections = [
        e
        for e in exchanges
        if {Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION} & set(e.codes.miti_codes)
    ]
    if len(questions) > len(reflections) and questions:
        return (
            "more reflections than questions: after a question, try reflecting the answer "
            f'before the next one, as in "It sounds like {said_back(questions[0].client_before)}."'
        )
    last = exchanges[-1] if exchanges else None
    example = (
        f'"It sounds like {said_back(last.client_before)}, and part of you wants more."'
        if last
        else "a double-sided reflection"
    )
    return f"reach for a complex reflection that adds the feeling or the meaning, such as {example}"
