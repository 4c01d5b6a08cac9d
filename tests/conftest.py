"""Shared fixtures. Everything here is real: the embedded model, Chroma, SQLite."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.settings import REPO_ROOT, Settings

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
KNOWLEDGE = REPO_ROOT / "knowledge"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's MIE_* variables or .env, or writes to their data dir."""
    for name in list(os.environ):
        if name.startswith("MIE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def indexed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose Chroma index holds the shipped knowledge base, built once."""
    from coach.index import ingest

    data = tmp_path_factory.mktemp("indexed")
    report = ingest(Settings(data_dir=data))
    assert report.added and not report.updated
    return data


@pytest.fixture
def indexed_env(indexed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point MIE_* at the shared index and a per-test database."""
    monkeypatch.setenv("MIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MIE_CHROMA_PATH", str(indexed_dir / "chroma"))
    return Settings()


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    return folder


@pytest.fixture
def cli():
    """Run ``mie-coach`` in-process, as a user would type it; returns the click Result."""
    from coach.cli import app

    runner = CliRunner()

    def run(*args: str, **env: str):
        return runner.invoke(app, list(args), env=env or None, catch_exceptions=False)

    return run


def wait_for_http(url: str, proc, seconds: float = 90, headers: dict | None = None) -> None:
    """Poll ``url`` until it answers; fail the test if ``proc`` dies or time runs out."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=1)
            return
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the server for {url} exited during start-up")
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"{url} did not answer within {seconds:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
