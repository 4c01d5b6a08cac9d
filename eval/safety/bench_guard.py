"""`make bench`: what the safety guard costs per trainee message, layer by layer.

Times ``Guard.screen`` (patterns, then the fine-tuned model over every segment) on the
messages of the guard eval suites, after a warm-up, and prints p50/p95 overall and by message
length, with the patterns alone for comparison. One process, the machine's own cores.
"""

from __future__ import annotations

import statistics
import time

import yaml
from rich.console import Console
from rich.table import Table

from coach.coder.runtime import cpu_description
from coach.settings import Settings
from coach.supervisor.guard import Guard, detect_patterns
from coach.supervisor.guard.segments import segments


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, text: str) -> float:
    started = time.perf_counter()
    fn(text)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    settings = Settings()
    texts = []
    for name in ("guard-dev", "guard-dev2", "guard-heldout"):
        suite = yaml.safe_load((settings.suites_dir / f"{name}.yaml").read_text())
        texts += [m["text"] for m in suite["messages"]]
    guard = Guard()
    for text in texts[:20]:
        guard.screen(text)  # warm-up: model load and first runs
    whole = [timed(guard.screen, t) for t in texts]
    patterns = [timed(detect_patterns, t) for t in texts]
    table = Table(
        "messages",
        "segments (median)",
        "guard p50 ms",
        "guard p95 ms",
        title=f"Safety guard on {len(texts)} suite messages; {cpu_description()}",
    )
    buckets = {
        "all": range(len(texts)),
        "under 30 words": [i for i, t in enumerate(texts) if len(t.split()) < 30],
        "30 words or more": [i for i, t in enumerate(texts) if len(t.split()) >= 30],
    }
    for name, rows in buckets.items():
        times = [whole[i] for i in rows]
        table.add_row(
            f"{name} ({len(times)})",
            f"{statistics.median(len(segments(texts[i])) for i in rows):.0f}",
            f"{statistics.median(times):.1f}",
            f"{pct(times, 0.95):.1f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"patterns alone: p50 {statistics.median(patterns):.2f} ms, "
        f"p95 {pct(patterns, 0.95):.2f} ms"
    )


if __name__ == "__main__":
    main()
