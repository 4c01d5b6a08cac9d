"""The supervisor agent with the real embedded SmolLM2 model and the real index."""

import json
from collections.abc import Iterator

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from coach.errors import CoachError
from coach.knowledge.documents import load_documents
from coach.llm.templates import prompt_version
from coach.llm.tokens import count_tokens
from coach.storage.db import open_database
from coach.storage.store import Store
from coach.supervisor.agent import Supervisor
from tests.conftest import KNOWLEDGE

MESSAGE = (
    "My client had a big insight about calling her estranged sister after her session, "
    "but three weeks later she hasn't called. I keep wanting to tell her to just do it."
)


@pytest.fixture
def agent(indexed_env) -> Supervisor:
    return Supervisor(indexed_env, store=Store(open_database(indexed_env)))


@pytest.fixture
def prompt_agent(indexed_env, monkeypatch) -> Supervisor:
    """The full supervisor prompt (the design for capable models on a server)."""
    monkeypatch.setattr(indexed_env, "reply_design", "prompt")
    return Supervisor(indexed_env, store=Store(open_database(indexed_env)))


@pytest.fixture
def plain_agent(indexed_env, monkeypatch) -> Supervisor:
    """Plain mode streams the model token by token (the guided modes stream sentences)."""
    monkeypatch.setattr(indexed_env, "guidance", "plain")
    return Supervisor(indexed_env, store=Store(open_database(indexed_env)))


def test_ask_json_prints_one_object_with_every_field(cli, indexed_env):
    result = cli("ask", MESSAGE, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"reply", "sources", "model", "backend", "prompt_version", "timings_ms"} <= set(payload)
    assert len(payload["reply"].split()) >= 3
    known = {d.meta.id for d in load_documents(KNOWLEDGE)}
    assert payload["sources"] and {s["id"] for s in payload["sources"]} <= known
    assert all({"id", "title", "score"} == set(s) for s in payload["sources"])
    assert payload["backend"] == "embedded" and payload["model"] == "SmolLM2-135M-Instruct"
    assert payload["prompt_version"] == prompt_version(indexed_env.prompts_dir)
    timings = payload["timings_ms"]
    assert timings["total"] >= timings["llm"] > 0 and timings["retrieval"] > 0


def test_a_session_keeps_its_history(cli, indexed_env):
    first = json.loads(cli("ask", MESSAGE, "--json").stdout)
    session = first["session_id"]
    second = cli(
        "ask", "She says she is scared her sister will reject her.", "--session", session, "--json"
    )
    assert second.exit_code == 0
    assert json.loads(second.stdout)["session_id"] == session
    store = Store(open_database(indexed_env))
    roles = [(m.role, m.status) for m in store.messages(session)]
    assert roles == [("trainee", "complete"), ("supervisor", "complete")] * 2
    reply = store.messages(session)[1]
    assert reply.model and reply.prompt_version and reply.sources and reply.timings_ms["total"]


def test_a_cli_session_can_be_recorded_as_a_trainees(cli, indexed_env):
    from coach.storage.accounts import Accounts

    accounts = Accounts(open_database(indexed_env))
    alice = accounts.add("alice", "trainee", "a-long-password")
    accounts.add("bob", "trainee", "a-long-password")
    accounts.add("sue", "supervisor", "a-long-password")
    first = cli("ask", MESSAGE, "--trainee", "alice", "--json")
    assert first.exit_code == 0, first.output
    session = json.loads(first.stdout)["session_id"]
    assert Store(open_database(indexed_env)).session(session).user_id == alice.id

    refused = [
        (("--trainee", "bob", "--session", session), f"Session {session} is not one of bob's"),
        (("--trainee", "sue"), "'sue' is a supervisor, not a trainee."),
        (("--trainee", "nobody"), "There is no user 'nobody'."),
    ]
    for args, expected in refused:
        result = cli("ask", "Another question.", *args)
        assert result.exit_code == 2 and expected in result.stderr, args
    assert len(Store(open_database(indexed_env)).messages(session)) == 2  # nothing added


def test_an_unknown_session_is_refused(cli, indexed_env):
    result = cli("ask", "hello", "--session", "nope")
    assert result.exit_code == 2 and "There is no session 'nope'" in result.stderr


def test_the_reply_streams_in_pieces(plain_agent):
    agent = plain_agent
    session = agent.store.create_session()
    turn = agent.turn("How do I reflect a client's ambivalence?", session_id=session)
    pieces = list(turn)
    assert len(pieces) > 3
    assert turn.result.reply == "".join(pieces).strip()
    assert turn.result.timings_ms["first_token"] <= turn.result.timings_ms["total"]


def test_stopping_keeps_the_partial_reply(plain_agent):
    agent = plain_agent
    session = agent.store.create_session()
    turn = agent.turn("Tell me about the spirit of MI.", session_id=session)
    pieces = []
    for piece in turn:
        pieces.append(piece)
        if len(pieces) == 2:
            turn.stop()
    assert len(pieces) == 2
    saved = agent.store.messages(session)[-1]
    assert (saved.status, saved.content) == ("interrupted", "".join(pieces).strip())
    [(role, text)] = agent.store.history(session)  # the interrupted reply is not context
    assert role == "trainee" and text.endswith("Tell me about the spirit of MI.")


def test_retrieved_passages_reach_the_prompt_with_their_ids(prompt_agent):
    turn = prompt_agent.turn("What does Elicit-Provide-Elicit look like?")
    prompt = turn.messages[-1].content
    assert turn.sources and all(f"[{p.doc_id}]" in prompt for p in turn.sources)
    assert prompt.rstrip().endswith("What does Elicit-Provide-Elicit look like?")


def test_the_small_model_sees_the_move_and_the_message_only(agent):
    # passages are retrieved, shown as sources and checked against, but a 135M model pastes
    # them, so the moves design keeps them out of its prompt
    turn = agent.turn("What does Elicit-Provide-Elicit look like?")
    assert turn.sources and len(turn.messages) == 2
    assert turn.messages[-1].content == "What does Elicit-Provide-Elicit look like?"
    assert not any(f"[{p.doc_id}]" in str(m.content) for p in turn.sources for m in turn.messages)


def test_history_is_trimmed_to_the_context_window(prompt_agent):
    agent = prompt_agent
    history = [
        ("trainee" if i % 2 == 0 else "supervisor", f"turn {i}: " + "words " * 150)
        for i in range(40)
    ]
    messages = agent.build_messages("latest question", [], history)
    total = sum(count_tokens(str(m.content)) + 4 for m in messages)
    settings = agent.settings
    assert total <= settings.context_tokens - settings.max_tokens
    kept = [m.content for m in messages if str(m.content).startswith("turn ")]
    assert 0 < len(kept) < 40
    assert kept[-1].startswith("turn 39:")  # the most recent turns survive, in order
    numbers = [int(str(k).split(":")[0].split()[1]) for k in kept]
    assert numbers == list(range(40 - len(kept), 40))


class FailingModel(BaseChatModel):
    """A fake backend: the test needs a failure after a known partial reply, which a real
    model cannot be made to produce on demand."""

    @property
    def _llm_type(self) -> str:
        return "failing"

    def _generate(self, *args, **kwargs) -> ChatResult:
        raise NotImplementedError

    def _stream(self, *args, **kwargs) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="You have been "))
        raise ConnectionError("server went away")


class SilentModel(FailingModel):
    """A fake backend that streams nothing but whitespace, as an overloaded or misconfigured
    server can; the real model cannot be made to do this on demand."""

    def _stream(self, *args, **kwargs) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="  "))


def test_an_empty_reply_is_a_failure_not_a_silent_success(indexed_env, monkeypatch):
    monkeypatch.setattr(indexed_env, "reply_design", "moves")  # the model writes this reply
    store = Store(open_database(indexed_env))
    agent = Supervisor(indexed_env, chat_model=SilentModel(), store=store)
    turn = agent.turn("hello there")
    with pytest.raises(CoachError, match="The model returned an empty reply"):
        turn.run()
    assert turn.result.status == "failed"
    _, reply = store.messages(turn.session_id)
    assert (reply.status, reply.error) == ("failed", turn.result.error)


def test_a_failed_generation_is_stored_with_its_partial_text(indexed_env, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "plain")  # token streaming shows a partial
    store = Store(open_database(indexed_env))
    agent = Supervisor(indexed_env, chat_model=FailingModel(), store=store)
    session = store.create_session()
    turn = agent.turn("hello there", session_id=session)
    with pytest.raises(CoachError, match="The language model failed"):
        list(turn)
    trainee, reply = store.messages(session)
    assert (trainee.role, trainee.content) == ("trainee", "hello there")
    assert (reply.status, reply.content) == ("failed", "You have been")
    assert "server went away" in reply.error


def test_terminal_chat_streams_and_survives_bad_input(cli, indexed_env):
    from typer.testing import CliRunner

    from coach.cli import app

    result = CliRunner().invoke(app, ["chat"], input="\nWhat is a summary in MI?\nexit\n")
    assert result.exit_code == 0
    assert "The message is empty" in result.stderr  # the empty line did not end the chat
    assert result.stdout.count("supervisor> ") == 1
    assert "Saved as session" in result.stdout
