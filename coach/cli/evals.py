"""``mie-coach eval``: run suites live or on recorded replies, compare runs, export logs, and
turn reviewers' ratings into regression cases."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import typer

from coach.cli.common import load_settings
from coach.storage.store import RATINGS

RATING_HELP = f"Only replies rated this (repeatable): {', '.join(RATINGS)}."

evals = typer.Typer(
    help="Check the supervisor's replies for MI consistency, safety and grounding.",
    no_args_is_help=True,
)


def _default_report_dir() -> Path:
    return Path("reports") / dt.datetime.now().strftime("eval-%Y%m%d-%H%M%S")


@evals.command()
def run(
    suites: list[str] = typer.Argument(
        ..., metavar="SUITE...", help="Suite names (eval/suites/NAME.yaml) or paths."
    ),
    backend: str | None = typer.Option(
        None, "--backend", help="embedded or openai (default: MIE_LLM_BACKEND)."
    ),
    repeat: int = typer.Option(1, "--repeat", min=1, help="Run every scenario N times."),
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, help="Scenarios run at once (remote backends)."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Folder for the reports (default: reports/eval-<time>)."
    ),
    replay: Path | None = typer.Option(
        None,
        "--replay",
        help="Score the recorded replies in this JSONL file instead of generating replies.",
    ),
    coder: str = typer.Option("offline", "--coder", help="MI coder: offline or llm."),
    judge: str = typer.Option(
        "none",
        "--judge",
        help="Grounding judge: none (lexical) or llm (the configured chat model).",
    ),
    seed: int = typer.Option(0, "--seed", help="Sampling seed; repeat N uses seed + N."),
) -> None:
    """Run eval suites and write report.json, report.html and junit.xml. Exit 0 when every
    check passes, 1 when any fails, 2 on a usage or configuration error."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from coach.errors import InputError
    from coach.evals.detection import DetectionSuite
    from coach.evals.replay import load_replay
    from coach.evals.report import console_tables, failure_lines, write_reports
    from coach.evals.runner import EvalRunner, RunOptions
    from coach.evals.suites import load_suites

    for name, value, allowed in (
        ("--coder", coder, ("offline", "llm")),
        ("--judge", judge, ("none", "llm")),
        ("--backend", backend, (None, "embedded", "openai")),
    ):
        if value not in allowed:
            raise InputError(
                f"{name} must be one of {', '.join(a for a in allowed if a)}, not '{value}'."
            )
    settings = load_settings(llm_backend=backend)
    loaded = load_suites(suites, settings.suites_dir)
    detection = [s for s in loaded if isinstance(s, DetectionSuite)]
    if detection:
        if len(detection) < len(loaded) or replay:
            raise InputError(
                "Detection suites (kind: detection) score the safety guard "
                "alone; run them without reply suites or --replay."
            )
        _run_detection(detection, report or _default_report_dir())
        return
    conversations = load_replay(replay) if replay else None
    console = Console(stderr=True)
    if conversations is None and settings.llm_backend == "embedded" and concurrency > 1:
        console.print(
            "[dim]The embedded model generates one reply at a time; running "
            "scenarios one after another.[/]"
        )
        concurrency = 1
    folder = report or _default_report_dir()
    folder.mkdir(parents=True, exist_ok=True)
    runner = EvalRunner(
        settings,
        loaded,
        RunOptions(coder=coder, judge=judge, seed=seed, repeat=repeat, concurrency=concurrency),
    )
    total = (
        sum(len(c.turns) for c in conversations)
        if conversations
        else repeat * sum(s.turn_count for suite in loaded for s in suite.scenarios)
    )
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("replies scored" if conversations else "replies generated", total=total)
        advance = lambda n: bar.advance(task, n)  # noqa: E731
        result = (
            runner.replay(conversations, replay, advance)
            if conversations and replay
            else runner.live(folder, advance)
        )
    paths = write_reports(result, folder)
    out = Console()
    for table in console_tables(result):
        out.print(table)
    for line in failure_lines(result):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"{result.metrics.cases} cases, {result.metrics.replies} replies in "
        f"{result.run.seconds:.0f} s. Reports: {', '.join(str(p) for p in paths)}",
        soft_wrap=True,
    )
    if not result.passed:
        raise typer.Exit(1)


def _run_detection(suites: list, folder: Path) -> None:
    """Score the guard on labelled messages; exit 1 when a suite misses its targets."""
    from rich.console import Console

    from coach.evals.detection import (
        detection_tables,
        failure_lines,
        run_detection,
        write_detection_report,
    )
    from coach.supervisor.guard import Guard

    guard = Guard()
    reports = [run_detection(suite, guard) for suite in suites]
    paths = write_detection_report(reports, folder)
    out = Console()
    for report in reports:
        for table in detection_tables(report):
            out.print(table)
        for line in failure_lines(report):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"{sum(len(r.messages) for r in reports)} messages, "
        f"{sum(len(r.conversations) for r in reports)} conversations. "
        f"Report: {', '.join(str(p) for p in paths)}",
        soft_wrap=True,
    )
    if not all(r.passed for r in reports):
        raise typer.Exit(1)


@evals.command()
def compare(
    old: Path = typer.Argument(..., metavar="OLD.json", help="The earlier report.json."),
    new: Path = typer.Argument(..., metavar="NEW.json", help="The later report.json."),
) -> None:
    """Per-metric deltas between two runs, and the cases that newly fail (exit 1 if any)."""
    from rich.console import Console
    from rich.table import Table

    from coach.evals.compare import compare as compare_runs
    from coach.evals.compare import load_report

    result = compare_runs(load_report(old), load_report(new))
    table = Table(title=f"{old} → {new}")
    for column in ("metric", "old", "new", "change"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for d in result.deltas:
        colour = "" if d.better is None else "green" if d.better else "red"
        change = "-" if d.change is None else f"{d.change:+g}"
        table.add_row(
            d.metric.replace("_", " "),
            "-" if d.old is None else f"{d.old:g}",
            "-" if d.new is None else f"{d.new:g}",
            f"[{colour}]{change}[/]" if colour else change,
        )
    console = Console()
    console.print(table)
    if result.newly_passing:
        console.print(
            f"[green]Newly passing ({len(result.newly_passing)}):[/] "
            + ", ".join(result.newly_passing)
        )
    if result.newly_failing:
        console.print(f"[red]Newly failing ({len(result.newly_failing)}):[/]")
        for key, reason in result.newly_failing:
            console.print(f"  {key}: {reason}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print("No case newly fails.")


@evals.command()
def logs(
    out: Path = typer.Option(..., "--out", help="The JSONL file to write."),
    session: list[str] = typer.Option([], "--session", help="Only this session (repeatable)."),
    suite: str | None = typer.Option(
        None, "--suite", help="Suite whose defaults will score these conversations."
    ),
) -> None:
    """Export logged conversations in replay form, for `eval run SUITE --replay FILE`."""
    from coach.evals.replay import export_logs
    from coach.files import write_atomically

    conversations = export_logs(load_settings(), session or None, suite)
    lines = [json.dumps(c.model_dump(exclude_none=True), ensure_ascii=False) for c in conversations]
    write_atomically(out, "".join(line + "\n" for line in lines))
    typer.echo(f"Wrote {len(lines)} conversations to {out}.", err=True)


@evals.command("replay-ratings")
def replay_ratings(
    out: Path = typer.Option(..., "--out", help="Folder for NAME.yaml and NAME.jsonl."),
    rating: list[str] = typer.Option([], "--rating", help=RATING_HELP),
    name: str = typer.Option("rated", "--name", help="The suite's name."),
) -> None:
    """Turn the replies reviewers rated into a suite (a regression test: run it live) and a
    replay file (do the automatic checks agree with the reviewers? replay it)."""
    import yaml

    from coach.errors import InputError
    from coach.evals.ratings import rated_cases
    from coach.files import write_atomically
    from coach.storage.db import open_database
    from coach.storage.store import Store

    unknown = [r for r in rating if r not in RATINGS]
    if unknown:
        raise InputError(f"'{unknown[0]}' is not a rating; use one of {', '.join(RATINGS)}.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise InputError(f"'{name}' is not a suite name (lowercase letters, digits, - and _).")
    cases = rated_cases(Store(open_database(load_settings())), name, set(rating) or None)
    if cases.suite is None:
        raise InputError("No reply has been rated yet; rate replies in the Review tab first.")
    suite_path, replay_path = out / f"{name}.yaml", out / f"{name}.jsonl"
    write_atomically(suite_path, yaml.safe_dump(cases.suite_data, sort_keys=False, width=100))
    write_atomically(replay_path, cases.jsonl())
    n = len(cases.conversations)
    typer.echo(f"Wrote {n} rated repl{'y' if n == 1 else 'ies'} to {suite_path} and {replay_path}.")
    typer.echo(f"  mie-coach eval run {suite_path}                       # regression, live")
    typer.echo(f"  mie-coach eval run {suite_path} --replay {replay_path}  # checks vs reviewers")
