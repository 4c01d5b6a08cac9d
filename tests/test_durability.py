"""A crash loses nothing: the web app is killed with SIGKILL while a reply streams, then
restarted. The trainee's message is in the database, the partial reply is marked interrupted
(never left "streaming"), and the session goes on."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from gradio_client import Client

from tests.conftest import start_app

PASSWORD = "correct-horse-battery"


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(c["text"] for c in content)


def _rows(db_path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db_path) as db:
        return db.execute("select role, status, content from messages order by id").fetchall()


def test_kill_9_mid_reply_loses_nothing_and_the_session_continues(indexed_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIE_")} | {
        "MIE_CHROMA_PATH": str(indexed_dir / "chroma"),
        "MIE_DATA_DIR": str(tmp_path),
        "MIE_GUIDANCE": "best_of_n",  # streams sentence by sentence, so there is a mid-reply
        "MIE_REPLY_DESIGN": "moves",  # the model's path (a composed reply has no mid-reply)
    }
    subprocess.run(
        [sys.executable, "-m", "coach.cli", "users", "add", "alice", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "server.log"
    proc, url = start_app(env, log)
    try:
        alice = Client(url, auth=("alice", PASSWORD), verbose=False)
        job = alice.submit(
            "Tell me everything about complex reflections, in detail.",
            [],
            "skills",
            api_name="/chat",
        )
        deadline = time.monotonic() + 60
        while not any(o[0] and o[0][-1]["content"] for o in job.outputs()):
            assert time.monotonic() < deadline, "the reply never started streaming"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()

    db_path = tmp_path / "coach.db"
    rows = _rows(db_path)
    assert rows[0][:2] == ("trainee", "complete")
    assert rows[0][2].startswith("Tell me everything about complex reflections")
    assert [r[:2] for r in rows[1:]] == [("supervisor", "streaming")]  # the cut-off reply
    partial = rows[1][2]
    assert partial.strip()

    proc, url = start_app(env, log)
    try:
        assert "Marked 1 reply(ies) cut off by a server stop as interrupted." in log.read_text()
        rows = _rows(db_path)
        assert rows[1] == ("supervisor", "interrupted", partial)  # the partial text is kept
        alice = Client(url, auth=("alice", PASSWORD), verbose=False)
        (row,) = alice.predict(api_name="/my_sessions")["data"]
        history, _, status = alice.predict(row[0], api_name="/open_session")
        assert status == f"Reopened session {row[0]}."
        assert "(interrupted reply)" in _text(history[-1])
        history, box = alice.predict(
            "Thanks. What would a first complex reflection sound like?",
            history,
            "skills",
            api_name="/chat",
        )
        assert box == "" and _text(history[-1]).strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rows = _rows(db_path)
    assert [r[:2] for r in rows] == [
        ("trainee", "complete"),
        ("supervisor", "interrupted"),
        ("trainee", "complete"),
        ("supervisor", "complete"),
    ]
    with sqlite3.connect(db_path) as db:
        assert db.execute("select count(distinct session_id) from messages").fetchone() == (1,)
