"""The load benchmark itself, at a small size: trainees at once over HTTP against the real app,
then the database check (every message stored once, each with its reply). Its figures are
printed by `make bench`, not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys

from coach.settings import REPO_ROOT
from tests.conftest import free_port


def test_two_trainees_at_once_lose_nothing(indexed_env):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "eval/bench_load.py"),
            "--trainees",
            "2",
            "--messages",
            "2",
            "--port",
            str(free_port()),
        ],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("│ 2 "))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[1] == "4"  # turns
    assert cells[5] == "0" and cells[6] == "0 / 0"  # errors; lost / duplicated
