"""``mie-coach doctor``: check the database, index, model, coder and guard, with fixes."""

from __future__ import annotations

import json

import typer

from coach.cli.common import load_settings


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        quick: bool = typer.Option(
            False, "--quick", help="Do not ask the model to write (as /health does)."
        ),
    ) -> None:
        """Check every part the app needs; exit 1 if any check fails."""
        from coach.ops.health import run_checks

        checks = run_checks(load_settings(), deep=not quick)
        if as_json:
            typer.echo(json.dumps([c.to_dict() for c in checks], indent=2))
        else:
            for c in checks:
                typer.echo(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:9} {c.detail}")
                if c.fix:
                    typer.echo(f"{'':15} fix: {c.fix}")
        if not all(c.ok for c in checks):
            raise typer.Exit(1)
