"""`make bench-load`: a cohort of trainees on one server at once, over HTTP.

    .venv/bin/python eval/bench_load.py --trainees 1,5,20 --messages 3
    .venv/bin/python eval/bench_load.py --backend server        # llama-cpp-python's server
    .venv/bin/python eval/bench_load.py --database-url postgresql://...

For each concurrency level: a fresh database with N trainee accounts, the web app started on
loopback as `make run` starts it (app.py), and N trainees (threads, each its own gradio_client
login) each sending the messages in their own session, one after another. Prints p50/p95 of the
time to the first visible text and to the full reply, the longest wait against the median, the
error count, the largest queue place a trainee was shown, and then checks the database: every
message stored exactly once, each followed by its reply.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "load-bench-password"
# Ordinary supervision messages, varied so no trainee's turn is a cache hit for another's.
MESSAGES = [
    "My client keeps saying the ceremony showed her she has to leave her job, but she is stuck.",
    "I froze when my client started crying about her father and I changed the subject.",
    "He says the session changed nothing, and I notice I want to convince him it did.",
    "I am tired after a week of heavy integration sessions and I dread Mondays.",
    "My client wants to drink less since the retreat but keeps saying it is not a big deal.",
    "How can I reflect a client's ambivalence about telling her partner about the trial?",
    "She rated her confidence a four out of ten for starting therapy again.",
    "I gave advice too quickly today and the client went quiet.",
    "My client is angry the insights faded after two weeks.",
]


@dataclass
class Trainee:
    name: str
    first_text: list[float] = field(default_factory=list)
    full_reply: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    queue_places: list[int] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(c["text"] for c in content)


def drive(trainee: Trainee, url: str, messages: list[str], start: threading.Barrier) -> None:
    try:
        client = Client(url, auth=(trainee.name, PASSWORD), verbose=False)
    except Exception as exc:  # a failed login is an error the bench counts
        trainee.errors.append(f"login: {exc}")
        start.wait()
        return
    start.wait()
    history: list = []
    for message in messages:
        began = time.perf_counter()
        try:
            job = client.submit(message, history, "client", api_name="/chat")
            seen_text = None
            while not job.done():
                status = job.status()
                if status.rank is not None and status.rank >= 0:
                    trainee.queue_places.append(status.rank + 1)
                outputs = job.outputs()
                shown = outputs and outputs[-1][0] and text_of(outputs[-1][0][-1]).strip()
                if seen_text is None and shown:
                    seen_text = time.perf_counter() - began
                time.sleep(0.02)
            history, box = job.result()
            full = time.perf_counter() - began
            reply = text_of(history[-1])
            if "failed" in reply or not reply.strip() or box:
                trainee.errors.append(f"reply: {reply[:120]!r}")
            trainee.sent.append(message)
            trainee.first_text.append(seen_text if seen_text is not None else full)
            trainee.full_reply.append(full)
        except Exception as exc:
            trainee.errors.append(f"{type(exc).__name__}: {exc}")


def start_server(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "app.py")], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120
    import urllib.request

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited during start-up; see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{env['MIE_PORT']}/health", timeout=30)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not start within 120 s")


def start_model_server(port: int) -> subprocess.Popen:
    from coach.llm.backends import adapter_file, default_model_path

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
            "--n_ctx",
            "4096",
            "--interrupt_requests",
            "False",
            "--lora_path",
            str(adapter_file("supervisor")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import urllib.request

    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("llama-cpp-python's server did not start")


def check_database(settings, trainees: list[Trainee]) -> tuple[int, int]:
    """(lost, duplicated): each sent message stored once, in its trainee's one session, each
    followed by a complete reply."""
    from coach.storage.accounts import Accounts
    from coach.storage.db import open_database
    from coach.storage.store import Store

    factory = open_database(settings)
    store, accounts = Store(factory), Accounts(factory)
    lost = duplicated = 0
    for trainee in trainees:
        user = accounts.get(trainee.name)
        sessions = store.sessions(user_ids=[user.id])
        rows = [m for s in sessions for m in store.messages(s.id)]
        stored = [m.content for m in rows if m.role == "trainee"]
        for message in trainee.sent:
            count = stored.count(message)
            lost += count == 0
            duplicated += max(0, count - 1)
        replies_ok = all(
            a.role == "trainee" and b.role == "supervisor" and b.status == "complete"
            for a, b in zip(rows[::2], rows[1::2], strict=False)
        )
        lost += 0 if replies_ok and len(rows) == 2 * len(stored) else 1
        if len(sessions) > 1:
            duplicated += len(sessions) - 1
    return lost, duplicated


def run_level(n: int, args: argparse.Namespace, base_env: dict[str, str]) -> dict[str, object]:
    from coach.settings import Settings
    from coach.storage.accounts import Accounts
    from coach.storage.db import open_database

    data = Path(tempfile.mkdtemp(prefix=f"mie-load-{n}-"))
    env = base_env | {"MIE_DATA_DIR": str(data), "MIE_PORT": str(args.port)}
    if args.database_url:  # a fresh schema per level: drop what an earlier level wrote
        from sqlalchemy import create_engine, text

        from coach.storage.db import database_url, migrate

        url = database_url(Settings(database_url=args.database_url))
        engine = create_engine(url)
        with engine.begin() as db:
            db.execute(text("drop schema public cascade; create schema public"))
        migrate(engine)  # the process caches its session factory, so migrate here
        engine.dispose()
    settings = Settings(_env_file=None, **_settings_kwargs(env))
    accounts = Accounts(open_database(settings))
    trainees = [Trainee(f"trainee{i:02d}") for i in range(n)]
    for t in trainees:
        accounts.add(t.name, "trainee", PASSWORD)
    proc = start_server(env, data / "server.log")
    try:
        barrier = threading.Barrier(n)
        threads = []
        for i, t in enumerate(trainees):
            messages = [MESSAGES[(i + k) % len(MESSAGES)] for k in range(args.messages)]
            threads.append(
                threading.Thread(
                    target=drive, args=(t, f"http://127.0.0.1:{args.port}/", messages, barrier)
                )
            )
        began = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - began
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lost, duplicated = check_database(settings, trainees)
    first = [x for t in trainees for x in t.first_text]
    full = [x for t in trainees for x in t.full_reply]
    median = statistics.median(full) if full else 0.0
    errors = [e for t in trainees for e in t.errors]
    return {
        "trainees": n,
        "turns": len(full),
        "first_p50": pct(first, 0.5),
        "first_p95": pct(first, 0.95),
        "full_p50": pct(full, 0.5),
        "full_p95": pct(full, 0.95),
        "worst_over_median": max(full) / median if median else 0.0,
        "errors": len(errors),
        "error_examples": errors[:3],
        "lost": lost,
        "duplicated": duplicated,
        "max_queue_place": max((p for t in trainees for p in t.queue_places), default=0),
        "wall_s": wall,
    }


def _settings_kwargs(env: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("MIE_").lower(): v for k, v in env.items() if k.startswith("MIE_")}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trainees", default="1,5,20", help="Concurrency levels, comma-separated.")
    p.add_argument("--messages", type=int, default=3, help="Messages per trainee.")
    p.add_argument("--backend", choices=["embedded", "server"], default="embedded")
    p.add_argument("--database-url", default=None, help="PostgreSQL URL; default: SQLite.")
    p.add_argument("--port", type=int, default=7871)
    args = p.parse_args()

    from coach.settings import Settings

    chroma = Settings().chroma_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIE_")}
    env |= {"MIE_CHROMA_PATH": str(chroma)}
    if args.database_url:
        env["MIE_DATABASE_URL"] = args.database_url
    model_server = None
    if args.backend == "server":
        model_server = start_model_server(args.port + 1)
        env |= {
            "MIE_LLM_BACKEND": "openai",
            "MIE_BASE_URL": f"http://127.0.0.1:{args.port + 1}/v1",
            "MIE_MODEL": "smollm2",
        }
    db = "PostgreSQL" if args.database_url else "SQLite"
    table = Table(
        "trainees",
        "turns",
        "first text p50/p95 s",
        "full reply p50/p95 s",
        "worst / median",
        "errors",
        "lost / dup",
        "max queue place",
        "wall s",
        title=f"Load: {args.messages} messages per trainee, {args.backend} backend, {db}",
    )
    failed = False
    try:
        for n in (int(x) for x in args.trainees.split(",")):
            r = run_level(n, args, env)
            table.add_row(
                str(r["trainees"]),
                str(r["turns"]),
                f"{r['first_p50']:.2f} / {r['first_p95']:.2f}",
                f"{r['full_p50']:.2f} / {r['full_p95']:.2f}",
                f"{r['worst_over_median']:.2f}",
                str(r["errors"]),
                f"{r['lost']} / {r['duplicated']}",
                str(r["max_queue_place"]),
                f"{r['wall_s']:.0f}",
            )
            for example in r["error_examples"]:
                print(f"  error at {n} trainees: {example}", flush=True)
            failed |= bool(r["errors"] or r["lost"] or r["duplicated"])
    finally:
        if model_server:
            model_server.terminate()
            model_server.wait(timeout=30)
    Console(width=150).print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
