"""The coder's training script refuses flag combinations it cannot honour, before any work
(argparse only: the product venv has no torch, and nothing here trains)."""

import subprocess
import sys

import pytest

from coach.settings import REPO_ROOT


@pytest.mark.parametrize(("flags", "message"), [
    (["--target"], "--target is for experiments; use it with --folds or --no-export"),
    (["--context", "0"], "--context must be at least 1"),
    (["--folds", "4", "--fold", "4"], "--fold must be between 0 and 3"),
])
def test_bad_training_flags_get_one_sentence_and_exit_2(flags, message):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "eval/coder/finetune.py"), *flags],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(message)
    assert "Traceback" not in result.stderr
