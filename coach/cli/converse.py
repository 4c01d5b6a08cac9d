"""``mie-coach ask`` and ``mie-coach chat``: talk with the supervisor from the terminal."""

from __future__ import annotations

import json
import sys

import typer

from coach.cli.common import load_settings
from coach.errors import CoachError, InputError

FOCUS_HELP = "Session focus: client, skills, selfcare or open."
TRAINEE_HELP = (
    "Record the session as this trainee's, so their supervisor sees it (and any "
    "safety flag) in the web review."
)


def _supervisor():
    from coach.supervisor.agent import Supervisor

    return Supervisor.open(load_settings())


def _owner(agent, trainee: str | None, session: str | None) -> int | None:
    """The trainee account a CLI session belongs to (None: unattributed)."""
    from coach.storage.accounts import Accounts

    if session:
        agent.store.require_session(session)
    if trainee is None:
        return None
    user = Accounts(agent.store.factory).get(trainee)
    if user.role != "trainee":
        raise InputError(f"'{user.username}' is a {user.role}, not a trainee.")
    if session and agent.store.session(session).user_id != user.id:
        raise InputError(f"Session {session} is not one of {user.username}'s sessions.")
    return user.id


def _stream(turn) -> None:
    """Print the reply as it arrives (and its revision, if the MI check chose another),
    then any safety flags and the sources (one line per document)."""
    from coach.supervisor.agent import Revision

    shown = ""
    try:
        for piece in turn:
            if isinstance(piece, Revision):
                if piece.text.startswith(shown):
                    sys.stdout.write(piece.text[len(shown) :])
                else:
                    sys.stdout.write("\n")
                    typer.secho("(revised after the MI check)", dim=True, err=True)
                    sys.stdout.write(piece.text)
                shown = piece.text
            else:
                sys.stdout.write(piece)
                shown += piece
            sys.stdout.flush()
    finally:
        sys.stdout.write("\n")  # a failure's sentence starts on its own line
    if turn.result.flags:
        typer.secho(
            f"This session is flagged for review: {', '.join(turn.result.flags)}.",
            fg="yellow",
            err=True,
        )
    sources = turn.result.source_list()
    if sources:
        names = ", ".join(f"{s['id']} ({s['score']:.2f})" for s in sources)
        typer.secho(f"\nSources: {names}", dim=True, err=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def ask(
        message: str = typer.Argument(..., help="What you want to bring to supervision."),
        session: str | None = typer.Option(None, "--session", help="Continue this session."),
        focus: str = typer.Option("open", "--focus", help=FOCUS_HELP),
        trainee: str | None = typer.Option(None, "--trainee", help=TRAINEE_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Run one supervision turn and print the reply (streamed unless --json)."""
        agent = _supervisor()
        owner = _owner(agent, trainee, session)
        turn = agent.turn(message, session_id=session, focus=focus, user_id=owner)
        session_id = turn.session_id
        if as_json:
            result = turn.run()
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
            return
        _stream(turn)
        if not session:
            typer.secho(
                f"Session {session_id} (continue with --session {session_id})", dim=True, err=True
            )

    @app.command()
    def chat(
        session: str | None = typer.Option(None, "--session", help="Continue this session."),
        focus: str = typer.Option("open", "--focus", help=FOCUS_HELP),
        trainee: str | None = typer.Option(None, "--trainee", help=TRAINEE_HELP),
    ) -> None:
        """Chat with the supervisor in the terminal, with streaming. Ctrl-D or 'exit' ends."""
        agent = _supervisor()
        owner = _owner(agent, trainee, session)
        session_id = session  # a new session starts with the first valid message
        typer.secho("Type 'exit' or press Ctrl-D to leave.", dim=True)
        while True:
            try:
                message = input("\nyou> ")
            except EOFError:
                break
            if message.strip().lower() in {"exit", "quit"}:
                break
            try:
                turn = agent.turn(message, session_id=session_id, focus=focus, user_id=owner)
                session_id = turn.session_id
                sys.stdout.write("supervisor> ")
                _stream(turn)
            except CoachError as exc:  # bad input must not end the conversation
                typer.secho(f"Error: {exc}", fg="red", err=True)
            except KeyboardInterrupt:
                turn.stop()
                typer.secho("\n(reply stopped)", dim=True, err=True)
        if session_id:
            typer.secho(f"\nSaved as session {session_id}.", dim=True)

    @app.command()
    def serve() -> None:
        """Serve the web UI on MIE_HOST:MIE_PORT (default 127.0.0.1:7860)."""
        from coach.web import serve as run_server

        run_server(load_settings())
