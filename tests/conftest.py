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
    from coach.knowledge.index import ingest

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


def _postgres_bin() -> Path | None:
    """Where initdb and pg_ctl live: on PATH, or Debian's versioned folder."""
    import glob

    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((c for c in candidates if (c / "initdb").exists()), None)


@pytest.fixture(scope="session")
def postgres_server():
    """A real, throwaway PostgreSQL server on loopback (Debian's package: initdb, pg_ctl).

    Yields a function that creates a fresh database and returns its URL. The server is not
    downloaded: `make test` installs Debian's postgresql package when it is missing.
    """
    import subprocess
    import tempfile

    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL is not installed here (Debian: apt-get install postgresql); "
            "`make test` installs it"
        )
    root = Path(tempfile.mkdtemp(prefix="mie-postgres-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(root, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()

    def run(*args: object) -> None:
        subprocess.run([*as_postgres, *map(str, args)], check=True, capture_output=True)

    run(bin_dir / "initdb", "-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8")
    run(
        bin_dir / "pg_ctl",
        "-D",
        data,
        "-w",
        "-l",
        root / "server.log",
        "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )
    server = f"postgresql://postgres@127.0.0.1:{port}"
    created = 0

    def new_database() -> str:
        import psycopg

        nonlocal created
        created += 1
        name = f"coach_{created}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"{server}/{name}"

    yield new_database
    run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
    shutil.rmtree(root, ignore_errors=True)


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


def start_app(env: dict[str, str], log: Path | None = None) -> tuple[object, str]:
    """The web app as `make run` serves it (app.py), on a free loopback port; returns the
    process and its URL once the login page answers."""
    import subprocess
    import sys

    port = free_port()
    out = log.open("a") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py")],
            env=env | {"MIE_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url, proc, 90)
    return proc, url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


API_KEY = "test-key-for-loopback"


@pytest.fixture(scope="session")
def server_url():
    """llama-cpp-python's OpenAI-compatible server running SmolLM2 on loopback, with an API
    key (shared by the backend and fault tests)."""
    import subprocess
    import sys

    from coach.llm.backends import adapter_file, default_model_path

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(default_model_path()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--api_key",
            API_KEY,
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
            # By default this server abandons a streaming request when another arrives; a real
            # deployment (vLLM, OpenAI) queues or batches them, which the eval test relies on.
            "--interrupt_requests",
            "False",
            # the supervisor adapter, as the embedded default loads it
            "--lora_path",
            str(adapter_file("supervisor")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    wait_for_http(f"{url}/models", proc, 60, {"Authorization": f"Bearer {API_KEY}"})
    yield url
    proc.terminate()
    proc.wait(timeout=10)
