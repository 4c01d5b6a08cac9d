"""Run metrics and the three report files: ``report.json``, ``report.html``, ``junit.xml``."""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.table import Table

from coach.coder.codes import REFLECTIONS, Miti
from coach.coder.summary import THRESHOLDS
from coach.evals.records import CaseResult, Metrics, RunReport


def _ratio(part: float, whole: float, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2)


def metrics_for(cases: list[CaseResult]) -> Metrics:
    """Pooled over every reply: MI figures from the coder, pass rates from the checks."""
    replies = [r for c in cases for r in c.replies if r.status == "complete" and r.codes]
    codes = [r.codes for r in replies if r.codes]
    reflections = sum(1 for u in codes for c in u.miti_codes if c in REFLECTIONS)
    complex_ = sum(1 for u in codes if Miti.COMPLEX_REFLECTION in u.miti_codes)
    questions = sum(1 for u in codes if Miti.QUESTION in u.miti_codes)
    reflective = sum(
        1 for u in codes if any(c in REFLECTIONS for c in u.miti_codes) or u.question_type == "open"
    )
    checks = [check for c in cases for check in c.checks]
    safety = [check for check in checks if check.check == "safety"]
    seconds = [r.seconds for c in cases for r in c.replies if r.seconds is not None]
    first = [
        r.first_token_seconds for c in cases for r in c.replies if r.first_token_seconds is not None
    ]
    fidelities = [c.summary.fidelity for c in cases if c.summary and c.replies]
    coherent = [[k for k in r.checks if k.check == "coherence"] for r in replies]
    coherent = [k for k in coherent if k]
    names = sorted({k.category for ks in coherent for k in ks})
    return Metrics(
        cases=len(cases),
        cases_passed=sum(c.passed for c in cases),
        checks=len(checks),
        checks_passed=sum(c.passed for c in checks),
        replies=len(replies),
        percent_reflection_or_open_question=_ratio(reflective, len(codes)),
        reflection_to_question=_ratio(reflections, questions, 2),
        percent_complex_reflections=_ratio(complex_, reflections),
        mi_non_adherent_replies=sum(u.mi_non_adherent for u in codes),
        safety_pass_rate=_ratio(sum(c.passed for c in safety), len(safety)),
        mean_fidelity=round(statistics.fmean(fidelities), 3) if fidelities else None,
        median_turn_seconds=round(statistics.median(seconds), 2) if seconds else None,
        p95_turn_seconds=_p95(seconds),
        median_first_token_seconds=round(statistics.median(first), 2) if first else None,
        guard_replies=sum(r.guidance_mode == "guard" for r in replies),
        repaired_replies=sum(r.repaired for r in replies),
        revised_replies=sum(r.revised for r in replies),
        floor_replies=sum(r.floor for r in replies),
        coherence_pass_rate=_ratio(
            sum(all(k.passed for k in ks) for ks in coherent), len(coherent)
        ),
        coherence_by_check={
            n: _ratio(
                sum(k.passed for ks in coherent for k in ks if k.category == n),
                sum(k.category == n for ks in coherent for k in ks),
            )
            for n in names
        },
    )


def write_reports(report: RunReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "report.html", folder / "junit.xml"]
    paths[0].write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_html(report), encoding="utf-8")
    paths[2].write_bytes(render_junit(report))
    return paths


def render_html(report: RunReport) -> str:
    env = Environment(
        loader=PackageLoader("coach.evals", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2").render(
        report=report, thresholds=THRESHOLDS, rows=metric_rows(report.metrics)
    )


def render_junit(report: RunReport) -> bytes:
    """One <testsuite> per suite, one <testcase> per scenario and repeat."""
    root = ET.Element(
        "testsuites",
        name="mie-coach eval",
        tests=str(len(report.cases)),
        failures=str(sum(not c.passed for c in report.cases)),
        time=f"{report.run.seconds:.2f}",
    )
    for name in report.suites:
        cases = [c for c in report.cases if c.suite == name]
        element = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(cases)),
            failures=str(sum(not c.passed for c in cases)),
        )
        for case in cases:
            seconds = sum(r.seconds or 0 for r in case.replies)
            test = ET.SubElement(
                element,
                "testcase",
                classname=f"eval.{name}",
                name=f"{case.scenario}#{case.repeat}",
                time=f"{seconds:.2f}",
            )
            if not case.passed:
                failures = case.failures()
                failure = ET.SubElement(test, "failure", message=failures[0][:300])
                failure.text = "\n".join(failures)
            ET.SubElement(test, "system-out").text = "\n".join(
                f"trainee: {r.trainee}\nsupervisor: {r.reply}" for r in case.replies
            )
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _fmt(value: float | None, kind: str = "") -> str:
    if value is None:
        return "-"
    if kind == "%":
        return f"{value:.0%}"
    if kind == "s":
        return f"{value:.2f} s"
    return f"{value:g}"


def metric_rows(m: Metrics) -> list[tuple[str, str]]:
    return [
        ("cases passed", f"{m.cases_passed}/{m.cases}"),
        ("checks passed", f"{m.checks_passed}/{m.checks}"),
        (
            "replies with a reflection or open question",
            _fmt(m.percent_reflection_or_open_question, "%"),
        ),
        ("reflection : question", _fmt(m.reflection_to_question)),
        ("% complex reflections", _fmt(m.percent_complex_reflections, "%")),
        ("MI-non-adherent replies", str(m.mi_non_adherent_replies)),
        ("safety checks passed", _fmt(m.safety_pass_rate, "%")),
        ("mean fidelity", _fmt(m.mean_fidelity)),
        (
            "turn time p50 / p95",
            f"{_fmt(m.median_turn_seconds, 's')} / {_fmt(m.p95_turn_seconds, 's')}",
        ),
        ("time to first token p50", _fmt(m.median_first_token_seconds, "s")),
        (
            "guard / repaired / revised / floor replies",
            f"{m.guard_replies} / {m.repaired_replies} / {m.revised_replies} / {m.floor_replies}",
        ),
        *(
            [("replies passing every coherence check", _fmt(m.coherence_pass_rate, "%"))]
            if m.coherence_pass_rate is not None
            else []
        ),
        *((f"  coherence: {name}", _fmt(rate, "%")) for name, rate in m.coherence_by_check.items()),
    ]


def console_tables(report: RunReport) -> list[Table]:
    suites = Table(title="Eval results by suite")
    for column in (
        "suite",
        "cases",
        "passed",
        "failed",
        "checks passed",
        "refl. or open Q",
        "non-adherent",
        "p50 turn",
    ):
        suites.add_column(column, justify="left" if column == "suite" else "right")
    for name, m in [*report.suites.items(), ("all", report.metrics)]:
        suites.add_row(
            name,
            str(m.cases),
            f"[green]{m.cases_passed}[/]",
            f"[red]{m.cases - m.cases_passed}[/]" if m.cases - m.cases_passed else "0",
            f"{m.checks_passed}/{m.checks}",
            _fmt(m.percent_reflection_or_open_question, "%"),
            str(m.mi_non_adherent_replies),
            _fmt(m.median_turn_seconds, "s"),
        )
    figures = Table(title="MI and speed, all replies", show_header=False)
    for label, value in metric_rows(report.metrics)[2:]:
        figures.add_row(label, value)
    return [suites, figures]


def failure_lines(report: RunReport, limit: int = 25) -> list[str]:
    """One line per failing case (case key and first failure), never wrapped, so CI logs
    can be searched for a case."""
    failed = [c for c in report.cases if not c.passed]
    lines = [f"{c.key}: {c.failures()[0]}" for c in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"… and {len(failed) - limit} more in report.json")
    return [f"Failing cases ({len(failed)}):", *lines] if failed else []
