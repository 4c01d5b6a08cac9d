"""The web UI, served by app.py as `make run` does, driven over HTTP with gradio_client."""

import os
import subprocess
import sys
import urllib.request

import pytest
from gradio_client import Client

from coach.settings import REPO_ROOT
from tests.conftest import free_port, wait_for_http


@pytest.fixture(scope="module")
def web_data(tmp_path_factory):
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def web_url(indexed_dir, web_data, tmp_path_factory):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIE_")}
    env |= {"MIE_PORT": str(port), "MIE_CHROMA_PATH": str(indexed_dir / "chroma"),
            "MIE_DATA_DIR": str(web_data)}
    log = tmp_path_factory.mktemp("web-log") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "app.py")], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url, proc, 90)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(c["text"] for c in content)


def test_the_page_serves_the_chat(web_url):
    page = urllib.request.urlopen(web_url, timeout=5).read().decode()
    assert "MIE-IS Coach" in page


def test_a_message_gets_a_reply_with_its_sources(web_url):
    client = Client(web_url, verbose=False)
    history, box = client.predict("How can I evoke change talk with an integration client?",
                                  [], api_name="/chat")
    assert box == ""
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = text_of(history[1])
    assert "<summary>Sources</summary>" in reply
    assert "change-talk-and-sustain-talk" in reply
    assert len(reply.split("<details>")[0].split()) >= 3


def test_an_empty_message_changes_nothing(web_url, web_data):
    import sqlite3

    def sessions() -> int:
        with sqlite3.connect(web_data / "coach.db") as db:
            return db.execute("select count(*) from sessions").fetchone()[0]

    client = Client(web_url, verbose=False)
    before = sessions()
    history, box = client.predict("   ", [], api_name="/chat")
    assert history == [] and box == "   "
    assert sessions() == before  # no empty session was created
