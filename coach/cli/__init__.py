"""The ``mie-coach`` command line. Each subcommand lives in its own module."""

from __future__ import annotations

import click
import typer
from typer.core import TyperGroup

from coach.cli import (
    bench,
    code,
    converse,
    database,
    doctor,
    evals,
    index,
    practice,
    settings,
    users,
)
from coach.errors import CoachError


class CoachGroup(TyperGroup):
    """Turns any CoachError into one sentence on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CoachError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)


app = typer.Typer(
    name="mie-coach",
    cls=CoachGroup,
    help="MIE-IS Coach: an offline AI clinical supervisor that models Motivational "
    "Interviewing for psychedelic-assisted therapy trainees.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
settings.register(app)
index.register(app)
converse.register(app)
code.register(app)
practice.register(app)
doctor.register(app)
app.add_typer(bench.bench, name="bench")
app.add_typer(evals.evals, name="eval")
app.add_typer(users.users, name="users")
app.add_typer(database.db, name="db")


def main() -> None:
    app()
