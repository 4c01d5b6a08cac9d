"""`make bench`: latency, throughput and memory of 20 supervision turns on the embedded model,
in plain mode and with guided generation (the default mode, or check when plain is set).

Prints the median and p95 of the safety guard, retrieval, prompt assembly, time to the first
visible text and total turn time for each mode; how many guided replies were revised after
streaming or came from the verified floor; plain generation speed in tokens per second;
the process's peak memory; and the time of a no-op re-ingest. Turns run as 4 sessions of 5, so
history grows as it does in real use.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coach.knowledge.index import ingest
from coach.settings import Settings
from coach.supervisor.agent import Supervisor

SESSIONS = [
    [
        "My client had a big insight about calling her estranged sister, but she hasn't called.",
        "She says she is scared her sister will reject her.",
        "I notice I want to push her to call this week.",
        "What could I ask her instead?",
        "I think I will try a values question next time.",
    ],
    [
        "I'm exhausted after four heavy integration sessions this week.",
        "I dread going in on Mondays now.",
        "I don't really have anyone to talk to about the material.",
        "Maybe I could book peer consultation.",
        "What else do supervisors do to avoid burning out?",
    ],
    [
        "My client says the retreat changed nothing and he feels like a failure.",
        "He expected to be healed after one session.",
        "I didn't know how to respond, so I gave him a reading list.",
        "How do I roll with his disappointment?",
        "I want to practise a double-sided reflection.",
    ],
    [
        "How do I use a confidence ruler with a client who wants to drink less?",
        "She rated her confidence a three.",
        "I asked why not lower, and she talked about her daughter.",
        "How do I move toward planning without rushing?",
        "Can you help me summarise what she said?",
    ],
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    settings = Settings()
    if len(sys.argv) > 1 and sys.argv[1] == "--isolated":
        settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="mie-bench-")))
    ingest(settings)
    started = time.perf_counter()
    noop = ingest(settings)
    noop_seconds = time.perf_counter() - started

    table = Table(
        "metric (ms)",
        title=f"{sum(map(len, SESSIONS))} turns per mode, "
        f"{settings.llm_backend} backend, model {settings.model}",
    )
    columns: dict[str, dict[str, list[float]]] = {}
    rates: list[float] = []
    guided = settings.guidance_mode if settings.guidance_mode != "plain" else "check"
    made: dict[str, list[str]] = {}  # per mode: how each reply was made
    for mode in ("plain", guided):
        agent = Supervisor.open(settings.model_copy(update={"guidance": mode}))
        agent.turn("warm-up").run()  # model load and the cached prompt prefix are one-offs
        rows: dict[str, list[float]] = {
            "guard": [],
            "retrieval": [],
            "prompt": [],
            "first_token": [],
            "total": [],
        }
        for messages in SESSIONS:
            session = agent.store.create_session(channel="bench")
            for message in messages:
                turn = agent.turn(message, session_id=session)
                pieces = sum(1 for _ in turn)
                t = turn.result.timings_ms
                g = turn.result.guidance
                made.setdefault(mode, []).append(
                    "floor" if g and g.floor else "revised" if g and g.revised else "model"
                )
                for key in rows:
                    rows[key].append(t[key])
                generating = (t["total"] - t["first_token"]) / 1000
                if mode == "plain" and pieces > 1 and generating > 0:
                    rates.append((pieces - 1) / generating)  # one token per streamed chunk
        rows["retrieval + prompt"] = [
            r + p for r, p in zip(rows["retrieval"], rows["prompt"], strict=True)
        ]
        columns[mode] = rows
        table.add_column(f"{mode} p50", justify="right")
        table.add_column(f"{mode} p95", justify="right")
    for key in columns["plain"]:
        cells = []
        for rows in columns.values():
            cells += [f"{statistics.median(rows[key]):.1f}", f"{pct(rows[key], 0.95):.1f}"]
        table.add_row("first visible text" if key == "first_token" else key, *cells)
    console = Console()
    console.print(table)
    console.print(f"generation (plain): {statistics.median(rates):.0f} tokens/s (median per turn)")
    kinds = made[guided]
    console.print(
        f"{guided}: {kinds.count('revised')} of {len(kinds)} replies revised after "
        f"streaming, {kinds.count('floor')} from the verified floor"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak memory: {peak_mib:.0f} MiB (max RSS)")
    console.print(
        f"no-op re-ingest: {noop_seconds * 1000:.0f} ms ({noop.unchanged} documents unchanged)"
    )


if __name__ == "__main__":
    main()
