"""The coder's training scripts refuse flags they cannot honour, before any work
(argparse only: the product venv has no torch, and nothing here trains)."""

import subprocess
import sys

import pytest

from coach.settings import REPO_ROOT


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--target"], "--target is for experiments; use it with --folds or --no-export"),
        (["--context", "0"], "--context must be at least 1"),
        (["--folds", "4", "--fold", "4"], "--fold must be between 0 and 3"),
    ],
)
def test_bad_training_flags_get_one_sentence_and_exit_2(flags, message):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "eval/coder/finetune.py"), *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith(message)
    assert "Traceback" not in result.stderr


def run_talk_head_script(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "eval/coder/train_talk_head.py"), *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--weights", "/nonexistent"],
            "/nonexistent/frozen.onnx is missing; run eval/coder/export_frozen.py first",
        ),
        (["--data", "/nonexistent"], "--data /nonexistent holds no AnnoMI-simple.csv"),
    ],
)
def test_bad_talk_head_flags_get_one_sentence_and_exit_2(flags, message):
    result = run_talk_head_script(*flags)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(message)
    assert "Traceback" not in result.stderr


def test_talk_head_out_of_fold_check_names_the_missing_fold_run(tmp_path):
    (tmp_path / "AnnoMI-simple.csv").write_text("transcript_id\n")
    result = run_talk_head_script("--data", str(tmp_path), "--oof", str(tmp_path / "fold"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(
        f"{tmp_path}/fold0/oof.npz is missing; run finetune.py --folds 4 --fold K "
        "--out PREFIXK for K = 0..3 first"
    )


@pytest.mark.parametrize(
    ("has_config", "data", "message"),
    [
        (False, None, "holds no config.json; give a Hugging Face model folder"),
        (True, "/nonexistent", "--data /nonexistent holds no AnnoMI-simple.csv"),
    ],
)
def test_bad_encoder_probe_arguments_get_one_sentence_and_exit_2(
    tmp_path, has_config, data, message
):
    if has_config:
        (tmp_path / "config.json").write_text("{}")
    flags = [str(tmp_path), *(["--data", data] if data else [])]
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "eval/coder/probe_encoder.py"), *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith(message)
    assert "Traceback" not in result.stderr


def test_the_guard_fit_reads_ordinary_messages_pairs_and_reading_sets():
    """The shipped fit's --ordinary files, all three formats (the loader needs no torch)."""
    import importlib.util

    import yaml

    path = REPO_ROOT / "eval/safety/finetune_guard.py"
    spec = importlib.util.spec_from_file_location("finetune_guard", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    files = [
        "eval/adapter/supervision_pairs_2.yaml",
        "eval/safety/ordinary/long-a.yaml",
        "eval/readings/readings-3.yaml",
    ]
    items, digest = script.load_ordinary(files)
    pairs = yaml.safe_load((REPO_ROOT / files[0]).read_text())["pairs"]
    messages = yaml.safe_load((REPO_ROOT / files[1]).read_text())["messages"]
    scenarios = yaml.safe_load((REPO_ROOT / files[2]).read_text())["scenarios"]
    turns = [turn for scenario in scenarios for turn in scenario["turns"]]
    assert len(items) == len(pairs) + len(messages) + len(turns) and len(messages) >= 80
    assert all(labels == frozenset() and text for text, labels in items)
    assert items[len(pairs)][0] == " ".join(messages[0]["text"].split())
    assert items[-1][0] == " ".join(turns[-1].split()) and len(turns) >= 50
    assert len(digest) == 64
