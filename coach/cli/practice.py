"""``mie-coach practice``: practise MI, as the therapist, with a simulated integration client."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from coach.cli.common import load_settings
from coach.errors import CoachError, InputError
from coach.files import read_utf8


def register(app: typer.Typer) -> None:
    @app.command()
    def practice(
        persona: str | None = typer.Option(None, "--persona", help="The client to practise with."),
        list_: bool = typer.Option(False, "--list", help="List the client personas."),
        script: Path | None = typer.Option(
            None, "--script", help="Play each non-empty line of FILE as a trainee turn."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        seed: int = typer.Option(0, "--seed", help="Seed for the client's choices."),
    ) -> None:
        """Practise MI with a simulated client in the integration phase: live MITI feedback
        after each utterance, and the supervisor's debrief at the end."""
        from coach.practice.personas import load_personas

        settings = load_settings()
        if list_:
            personas = load_personas(settings.prompts_dir)
            rows = [{"id": p.id, "name": p.name, "summary": p.summary} for p in personas.values()]
            if as_json:
                typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    typer.echo(f"{r['id']:28} {r['name']:16} {r['summary']}")
            return
        if not persona:
            raise InputError("Name a client with --persona ID (see --list).")
        lines = _script_lines(script) if script else None
        from coach.practice.session import Practice

        session = Practice(settings, persona, seed=seed)
        if lines is not None:
            _scripted(session, lines, as_json)
        else:
            _interactive(session)


def _script_lines(path: Path) -> list[str]:
    lines = [line.strip() for line in read_utf8(path).splitlines() if line.strip()]
    if not lines:
        raise InputError(f"The script {path} holds no trainee lines.")
    return lines


def _scripted(session, lines: list[str], as_json: bool) -> None:
    turns = [session.turn(line) for line in lines]
    started = time.perf_counter()
    debrief = session.debrief()
    result = {
        "persona": session.persona.id,
        "opening": session.opening,
        "turns": [t.as_dict() for t in turns],
        "summary": session.summary().model_dump(mode="json"),
        "debrief": debrief,
        "debrief_seconds": round(time.perf_counter() - started, 3),
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{session.persona.name}: {session.opening}")
    for t in turns:
        typer.echo(f"\nyou> {t.trainee}\n  [{', '.join(c.value for c in t.codes.miti_codes)}]")
        typer.echo(f"{session.persona.name}: {t.client.text}")
    typer.echo("\n" + debrief)


def _interactive(session) -> None:
    typer.echo(f"{session.persona.name}: {session.opening}")
    typer.echo(
        "(you are the therapist; /hint asks the supervisor for a suggestion; an empty line "
        "ends the practice and starts the debrief)"
    )
    while True:
        try:
            message = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            break
        if not message.strip():
            break
        if message.strip().lower() == "/hint":
            typer.echo(f"supervisor> {session.hint()}")
            continue
        try:
            turn = session.turn(message)
        except CoachError as exc:  # bad input must not end the practice
            typer.secho(f"Error: {exc}", fg="red", err=True)
            continue
        typer.echo(f"  [{', '.join(c.value for c in turn.codes.miti_codes) or 'no code'}]")
        typer.echo(f"{session.persona.name}: {turn.client.text}")
        typer.echo("  " + " · ".join(session.feedback()))
    if session.turns:
        typer.echo("\n" + session.debrief())
