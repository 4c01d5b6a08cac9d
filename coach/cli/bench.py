"""``mie-coach bench``: measured quality of the product's parts."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import load_settings
from coach.settings import REPO_ROOT

bench = typer.Typer(help="Measure quality and speed of the product's parts.", no_args_is_help=True)


@bench.command()
def retrieval(
    questions: Path = typer.Option(
        REPO_ROOT / "eval/retrieval.yaml",
        "--questions",
        help="YAML list of {question, relevant: [doc ids]}.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    show_misses: bool = typer.Option(False, "--misses", help="List questions missed at 3."),
) -> None:
    """Recall@1, recall@3 and MRR (document level) for BM25, dense, the documents' example
    questions, and hybrid retrieval without and with them, side by side; the configured mode
    is marked."""
    from coach.knowledge.documents import load_documents
    from coach.knowledge.retrieval_eval import PASSAGES_ONLY, evaluate, load_questions

    settings = load_settings()
    known = {d.meta.id for d in load_documents(settings.knowledge_dir)}
    items = load_questions(questions, known)
    results = evaluate(settings, items)
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in results], indent=2))
        return
    table = Table(
        "retriever",
        "recall@1",
        "recall@3",
        "MRR",
        "ms/query",
        title=f"{len(items)} questions, {len(known)} documents",
    )
    for r in results:
        configured = r.mode == settings.retrieval_mode or (
            r.mode == PASSAGES_ONLY
            and settings.retrieval_mode == "hybrid"
            and not settings.retrieval_questions
        )
        name = r.mode + (" (configured)" if configured else "")
        table.add_row(
            name,
            f"{r.recall_at_1:.3f}",
            f"{r.recall_at_3:.3f}",
            f"{r.mrr:.3f}",
            f"{r.ms_per_query:.1f}",
        )
    console = Console()
    console.print(table)
    if show_misses:
        for r in results:
            for miss in r.misses:
                console.print(f"[dim]{r.mode} missed:[/dim] {miss}", highlight=False)
