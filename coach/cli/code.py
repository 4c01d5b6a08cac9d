"""``mie-coach code``: MITI behaviour codes and client talk types for a CSV of utterances."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from coach.cli.common import load_settings

BACKENDS = ("offline", "llm")


def register(app: typer.Typer) -> None:
    @app.command()
    def code(
        input_csv: Path = typer.Argument(
            ..., metavar="INPUT.csv", help="Columns conversation_id, speaker, text."
        ),
        out: Path = typer.Option(..., "--out", help="Where to write the coded CSV."),
        summary: Path | None = typer.Option(
            None, "--summary", help="Also write per-conversation summaries (JSON)."
        ),
        backend: str = typer.Option("offline", "--backend", help="offline or llm."),
    ) -> None:
        """Code every utterance (MITI 4.2.1 for therapists, change/sustain/neutral talk for
        clients) and summarise each conversation. Row order is utterance order."""
        from coach.coder import code_many
        from coach.coder.table import read_table, render_table
        from coach.errors import InputError
        from coach.files import write_atomically

        if backend not in BACKENDS:
            raise InputError(f"Unknown backend '{backend}'; use offline or llm.")
        table = read_table(input_csv)
        groups = table.conversations()
        coded = code_many(
            [
                [(table.rows[i]["speaker"], table.rows[i]["text"]) for i in idx]
                for idx in groups.values()
            ],
            backend=backend,
            settings=load_settings(),  # type: ignore[arg-type]
        )
        summaries = {}
        for (conversation, idx), result in zip(groups.items(), coded, strict=True):
            for i, codes in zip(idx, result.utterances, strict=True):
                table.rows[i] |= {
                    "behaviour": codes.behaviour or "",
                    "miti_codes": ";".join(codes.miti_codes),
                    "question_type": codes.question_type or "",
                    "reflection_type": codes.reflection_type or "",
                    "talk_type": codes.talk_type or "",
                }
            summaries[conversation] = result.summary.model_dump(mode="json")
        # Both files are rendered before either is written: all or nothing.
        summary_text = json.dumps(summaries, indent=2) + "\n" if summary else ""
        write_atomically(out, render_table(table))
        if summary:
            write_atomically(summary, summary_text)
        typer.echo(
            f"Coded {len(table.rows)} utterances in {len(groups)} conversations "
            f"-> {out}" + (f" and {summary}" if summary else "") + ".",
            err=True,
        )
