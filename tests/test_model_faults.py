"""Model-server faults, against llama-cpp-python's real server behind a fault-injecting proxy
on loopback (tests/faults.py: a real server cannot fail on demand). Each fault is one
sentence in the CLI, the turn is saved as failed with its reason, failures before a reply
begins are retried with backoff, and the web app keeps serving other trainees."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from gradio_client import Client

from coach.settings import Settings
from coach.storage.db import open_database
from coach.storage.store import Store
from tests.conftest import API_KEY, free_port, start_app
from tests.faults import FaultProxy

MESSAGE = "My client cried and I froze. How do I stay with tears next time?"


@pytest.fixture(scope="module")
def proxy(server_url):
    proxy = FaultProxy(server_url)
    yield proxy
    proxy.close()


@pytest.fixture
def fault_env(proxy, indexed_env) -> dict[str, str]:
    proxy.reset()
    return {
        "MIE_LLM_BACKEND": "openai",
        "MIE_BASE_URL": proxy.url,
        "MIE_API_KEY": API_KEY,
        "MIE_MODEL": "smollm2",
        "MIE_MAX_TOKENS": "48",
        "MIE_REQUEST_TIMEOUT": "60",  # the real server on 2 cores can take seconds to start
        "MIE_GUIDANCE": "plain",  # one model call per turn, so the plan maps to requests
    }


def _last_reply() -> tuple[str, str | None, str]:
    store = Store(open_database(Settings()))
    (session_id,) = store.session_ids()
    reply = store.messages(session_id)[-1]
    return reply.status, reply.error, reply.role


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(c["text"] for c in content)


FAULTS = [
    # (the proxy's plan, a phrase of the one sentence the trainee sees)
    (["500", "500", "500"], "failed with HTTP 500 (tried 3 times)"),
    (["429", "429", "429"], "is rate-limiting requests (HTTP 429, tried 3 times)"),
    (["hang", "hang", "hang"], "did not answer within 2 s (tried 3 times)"),
    (["malformed"], "is not a valid OpenAI-compatible stream"),
    (["cut"], "broke while the reply was streaming"),
]


@pytest.mark.parametrize("plan,sentence", FAULTS, ids=[f[0][0] for f in FAULTS])
def test_each_fault_is_one_sentence_and_the_turn_is_saved_as_failed(
    cli, proxy, fault_env, plan, sentence
):
    proxy.then(*plan)
    if plan[0] == "hang":
        fault_env["MIE_REQUEST_TIMEOUT"] = "2"
    result = cli("ask", MESSAGE, **fault_env)
    assert result.exit_code == 2
    assert sentence in result.output and "Traceback" not in result.output
    assert proxy.seen == plan  # retried exactly as planned, then gave up
    status, error, role = _last_reply()
    assert (role, status) == ("supervisor", "failed") and sentence in error
    store = Store(open_database(Settings()))
    assert store.trainee_messages(store.session_ids()[0]) == [MESSAGE]  # the words are kept


def test_a_refused_connection_is_one_sentence(cli, indexed_env):
    env = {
        "MIE_LLM_BACKEND": "openai",
        "MIE_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "MIE_API_KEY": API_KEY,
        "MIE_GUIDANCE": "plain",
    }
    result = cli("ask", MESSAGE, **env)
    assert result.exit_code == 2 and "Cannot reach the model server" in result.output
    status, error, _ = _last_reply()
    assert status == "failed" and "Cannot reach the model server" in error


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_passing_fault_is_retried_with_backoff_and_the_reply_arrives(
    cli, proxy, fault_env, fault
):
    proxy.then(fault)
    result = cli("ask", MESSAGE, **fault_env)
    assert result.exit_code == 0, result.output
    assert proxy.seen == [fault, "forward"]
    assert _last_reply()[:2] == ("complete", None)


def test_the_web_app_says_what_failed_and_keeps_serving_other_trainees(
    proxy, fault_env, indexed_dir, tmp_path
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIE_")} | fault_env
    env |= {"MIE_CHROMA_PATH": str(indexed_dir / "chroma"), "MIE_DATA_DIR": str(tmp_path)}
    for name in ("alice", "bob"):
        subprocess.run(
            [sys.executable, "-m", "coach.cli", "users", "add", name, "--password-stdin"],
            input="correct-horse-battery\n",
            text=True,
            env=env,
            check=True,
            capture_output=True,
        )
    proc, url = start_app(env)
    try:
        proxy.then("500", "500", "500")
        alice = Client(url, auth=("alice", "correct-horse-battery"), verbose=False)
        history, _ = alice.predict(MESSAGE, [], "skills", api_name="/chat")
        shown = _text(history[-1])
        assert "The reply failed and was saved as failed" in shown
        assert "failed with HTTP 500 (tried 3 times)" in shown
        bob = Client(url, auth=("bob", "correct-horse-battery"), verbose=False)
        history, _ = bob.predict(MESSAGE, [], "skills", api_name="/chat")
        assert _text(history[-1]).strip() and "failed" not in _text(history[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    with sqlite3.connect(tmp_path / "coach.db") as db:
        rows = db.execute(
            "select u.username, m.role, m.status from messages m join sessions s on "
            "s.id = m.session_id join users u on u.id = s.user_id order by m.id"
        ).fetchall()
    assert rows == [
        ("alice", "trainee", "complete"),
        ("alice", "supervisor", "failed"),
        ("bob", "trainee", "complete"),
        ("bob", "supervisor", "complete"),
    ]
