"""The OpenAI-compatible backend against a real server on loopback: llama-cpp-python's own
server running SmolLM2, started by the test with an API key."""

import json

from coach.llm.backends import get_chat_model
from coach.settings import Settings
from tests.conftest import API_KEY, free_port


def openai_env(url: str, key: str = API_KEY) -> dict[str, str]:
    return {
        "MIE_LLM_BACKEND": "openai",
        "MIE_BASE_URL": url,
        "MIE_API_KEY": key,
        "MIE_MODEL": "smollm2",
        "MIE_MAX_TOKENS": "48",
    }


def test_chat_model_streams_from_the_server(server_url):
    settings = Settings(
        llm_backend="openai", base_url=server_url, api_key=API_KEY, model="smollm2", max_tokens=30
    )
    model = get_chat_model(settings)
    chunks = [c.content for c in model.stream("Say hello to a trainee therapist.")]
    assert len([c for c in chunks if c]) > 2
    assert len("".join(chunks).split()) >= 2


def test_the_reply_cap_reaches_the_server(server_url):
    settings = Settings(
        llm_backend="openai", base_url=server_url, api_key=API_KEY, model="smollm2", max_tokens=4
    )
    reply = get_chat_model(settings).invoke("Write a long story about a lighthouse keeper.")
    assert 0 < len(str(reply.content).split()) <= 4  # 4 tokens cannot make 5 words


def test_ask_through_the_openai_backend(cli, indexed_env, server_url):
    result = cli("ask", "How do I affirm a trainee?", "--json", **openai_env(server_url))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["backend"] == "openai" and payload["model"] == "smollm2"
    assert payload["reply"].strip() and payload["sources"]
    # the server sampled every candidate (side by side) and each was scored
    assert payload["guidance"]["mode"] == "best_of_n"
    assert payload["guidance"]["candidates"] == 3


def test_streaming_ask_prints_the_reply(cli, indexed_env, server_url):
    result = cli("ask", "What is a complex reflection?", **openai_env(server_url))
    assert result.exit_code == 0
    assert result.stdout.strip() and "Sources:" in result.stderr


def test_a_wrong_api_key_is_one_sentence(cli, indexed_env, server_url):
    result = cli("ask", "hello", **openai_env(server_url, key="wrong-key"))
    assert result.exit_code == 2
    assert "rejected the API key; check MIE_API_KEY" in result.stderr
    assert "wrong-key" not in result.output and "Traceback" not in result.output


def test_an_unreachable_server_is_one_sentence(cli, indexed_env):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    result = cli("ask", "hello", **openai_env(url))
    assert result.exit_code == 2
    assert f"Cannot reach the model server at {url}" in result.stderr


def test_the_llm_coder_through_an_openai_compatible_server(cli, server_url, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "conversation_id,speaker,text\na,client,I want to drink less.\n"
        "a,therapist,What makes that important to you?\n"
    )
    env = openai_env(server_url) | {"MIE_MAX_TOKENS": "120", "MIE_JSON_MODE": "llama_schema"}
    result = cli("code", str(source), "--out", str(tmp_path / "out.csv"), "--backend", "llm", **env)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out.csv").read_text()
    assert text.count("\n") == 3 and "talk_type" in text


THREE_SCENARIOS = """\
name: remote
description: Three scenarios to run concurrently against the loopback server.
defaults:
  expect:
    - type: length
      min_words: 1
scenarios:
""" + "".join(
    f"""\
  - id: s{i}
    title: Scenario {i}
    persona: A trainee with a question about integration.
    turns:
      - {question}
"""
    for i, question in enumerate(
        [
            "What is a simple reflection?",
            "How do I ask permission before giving advice?",
            "What is the righting reflex?",
        ]
    )
)


def test_eval_runs_scenarios_concurrently_against_the_server(
    cli, indexed_env, server_url, tmp_path
):
    suite = tmp_path / "remote.yaml"
    suite.write_text(THREE_SCENARIOS)
    result = cli(
        "eval",
        "run",
        str(suite),
        "--backend",
        "openai",
        "--concurrency",
        "3",
        "--report",
        str(tmp_path / "r"),
        **openai_env(server_url),
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["run"]["backend"] == "openai" and data["run"]["concurrency"] == 3
    assert data["run"]["settings"]["api_key"] == "******** (set)"
    assert API_KEY not in (tmp_path / "r" / "report.json").read_text()
    assert sorted(c["scenario"] for c in data["cases"]) == ["s0", "s1", "s2"]
    assert all(
        r["status"] == "complete" and r["reply"] for c in data["cases"] for r in c["replies"]
    )


def test_eval_with_a_wrong_key_stops_with_exit_2(cli, indexed_env, server_url, tmp_path):
    suite = tmp_path / "remote.yaml"
    suite.write_text(THREE_SCENARIOS)
    result = cli(
        "eval",
        "run",
        str(suite),
        "--report",
        str(tmp_path / "r"),
        **openai_env(server_url, key="wrong-key"),
    )
    assert result.exit_code == 2
    assert "rejected the API key" in result.output and "wrong-key" not in result.output


COHERENCE_SUITE = """\
name: remote-coherence
description: Supervision messages through the server with the moves design and every check.
defaults:
  expect:
    - type: coherence
    - type: codes
      none_of: [confront, persuade]
    - type: codes
      any_of: [reflection, open_question]
scenarios:
  - id: froze
    title: Froze when a client cried
    persona: A first-year trainee.
    focus: skills
    turns:
      - My client sobbed for most of the hour and I kept handing her tissues instead of
        saying anything.
      - I think I was afraid that if I spoke I would make it worse.
  - id: afterglow
    title: The glow has gone
    persona: A trainee in a ketamine clinic.
    focus: client
    turns:
      - Two months after her last infusion she says the lift is gone and she's wondering
        what the point was.
"""


def test_the_coherence_checks_pass_through_the_server(cli, indexed_env, server_url, tmp_path):
    suite = tmp_path / "remote-coherence.yaml"
    suite.write_text(COHERENCE_SUITE)
    env = openai_env(server_url) | {"MIE_REPLY_DESIGN": "moves", "MIE_MAX_TOKENS": "80"}
    result = cli("eval", "run", str(suite), "--report", str(tmp_path / "r"), **env)
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    replies = [r for c in data["cases"] for r in c["replies"]]
    assert len(replies) == 3 and all(r["status"] == "complete" for r in replies)
    failed = [(r["reply"], c["reason"]) for r in replies for c in r["checks"] if not c["passed"]]
    assert not failed and result.exit_code == 0, failed
    assert data["metrics"]["coherence_pass_rate"] == 1.0
