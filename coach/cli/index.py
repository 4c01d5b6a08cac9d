"""``mie-coach ingest`` and ``mie-coach search``: build and query the knowledge index."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from coach.cli.common import load_settings


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing.")) -> None:
        """Index knowledge/*.md into Chroma, re-embedding only documents that changed."""
        from coach.knowledge.index import ingest as run_ingest

        console = Console(stderr=True, quiet=quiet)
        with console.status("Indexing the knowledge base…"):
            report = run_ingest(load_settings(), progress=lambda d: console.print(f"embedding {d}"))
        if not quiet:
            typer.echo(
                f"{len(report.added)} added, {len(report.updated)} updated, "
                f"{len(report.removed)} removed, {report.unchanged} unchanged "
                f"({report.chunks_written} chunks written, index {report.version}, "
                f"{report.seconds:.2f} s)."
            )

    @app.command()
    def search(
        query: str = typer.Argument(..., help="What to look up in the knowledge base."),
        k: int = typer.Option(5, "--k", "-k", min=1, max=50, help="Passages to return."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show the passages retrieval returns for QUERY, with id, title, heading and score."""
        from coach.knowledge.retriever import Retriever
        from coach.supervisor.agent import clean_message

        settings = load_settings()
        query = clean_message(query, settings.max_message_chars)
        passages = Retriever(settings).search(query, k=k)
        if as_json:
            typer.echo(json.dumps([p.to_dict() for p in passages], indent=2))
            return
        console = Console()
        for rank, p in enumerate(passages, 1):
            console.print(
                f"[bold]{rank}. {p.doc_id}[/bold] — {p.title}"
                f"{' › ' + p.heading if p.heading else ''} [dim](score {p.score:.3f})"
            )
            console.print(p.text.strip()[:400], highlight=False, markup=False)
            console.print()
