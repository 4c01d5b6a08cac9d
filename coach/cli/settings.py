"""``mie-coach config``: the effective settings, secrets masked."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import load_settings


def register(app: typer.Typer) -> None:
    @app.command()
    def config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Print the effective settings (environment, .env, defaults) with secrets masked."""
        values = load_settings().public_dict()
        if as_json:
            typer.echo(json.dumps(values, indent=2))
            return
        table = Table("setting", "environment variable", "value", box=None)
        for name, value in values.items():
            env = "" if name == "chroma_mode" else f"MIE_{name.upper()}"
            table.add_row(name, env, "" if value is None else str(value))
        Console().print(table)
