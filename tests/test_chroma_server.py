"""Chroma in server mode: a real `chroma run` on loopback, selected by MIE_CHROMA_HOST."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory):
    port = free_port()
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert binary, "chromadb's `chroma` command is missing from the virtualenv"
    proc = subprocess.Popen(
        [
            binary,
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--path",
            str(tmp_path_factory.mktemp("chroma-server")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import chromadb

    deadline = time.monotonic() + 30
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma run did not start")
            time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_search_against_a_chroma_server(cli, chroma_port, tmp_path):
    env = {"MIE_CHROMA_HOST": "127.0.0.1", "MIE_CHROMA_PORT": str(chroma_port)}
    assert cli("ingest", **env).exit_code == 0
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the embedded store
    again = cli("ingest", **env)
    assert "0 added, 0 updated, 0 removed" in again.stdout
    result = cli("search", "vicarious trauma and burnout", "--k", "1", **env)
    assert result.exit_code == 0 and "vicarious-trauma" in result.stdout


def test_an_unreachable_chroma_server_is_one_sentence(cli):
    result = cli("search", "burnout", MIE_CHROMA_HOST="127.0.0.1", MIE_CHROMA_PORT=str(free_port()))
    assert result.exit_code == 2
    assert "The Chroma server at 127.0.0.1:" in result.stderr and "not reachable" in result.stderr
