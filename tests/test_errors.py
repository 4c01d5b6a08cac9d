"""Every user mistake gets one sentence and exit code 2, never a traceback."""

import pytest


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (("ask", "   "), {}, "The message is empty"),
        (("ask", "x" * 4001), {}, "The message is 4,001 characters long; the limit is 4,000"),
        (("ask", "hi there", "--json"), {"MIE_MAX_MESSAGE_CHARS": "5"}, "the limit is 5"),
        (
            ("ask", "hello"),
            {"MIE_MODEL_PATH": "/nowhere/model.gguf"},
            "The model file /nowhere/model.gguf does not exist",
        ),
        (("ask", "hello"), {"MIE_LLM_BACKEND": "openai"}, "The openai backend needs MIE_API_KEY"),
        (("search", ""), {}, "The message is empty"),
        (("ask", "hello", "--focus", "gossip"), {}, "Unknown focus 'gossip'"),
        (("config",), {"MIE_LLM_BACKEND": "gpt"}, "MIE_LLM_BACKEND is invalid"),
    ],
)
def test_bad_input_is_one_clear_sentence(cli, indexed_env, args, env, expected):
    result = cli(*args, **env)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_bad_input_saves_nothing(cli, indexed_env):
    from coach.storage.db import open_database
    from coach.storage.tables import MessageRow, SessionRow

    assert cli("ask", "").exit_code == 2
    assert cli("ask", "hello", "--focus", "gossip").exit_code == 2
    with open_database(indexed_env)() as db:
        assert db.query(MessageRow).count() == 0 and db.query(SessionRow).count() == 0


@pytest.mark.parametrize("command", ["ask", "search", "chat", "ingest", "config", "serve"])
def test_every_command_explains_itself(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and len(result.stdout.split()) > 8
