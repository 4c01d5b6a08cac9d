"""`mie-coach code` as a user runs it: CSV in, coded CSV and summary JSON out."""

import csv
import json
from collections.abc import Iterator

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from coach.coder.llm import LLMCoder
from coach.errors import CoachError
from coach.settings import Settings

GOOD = (
    "conversation_id,speaker,text,session_date\n"
    'a,client,"I want to call my sister, but I\'m scared.",2026-11-01\n'
    'a,therapist,"Part of you wants to reach out, and another part is afraid.",2026-11-01\n'
    "a,therapist,What would help you feel ready?,2026-11-01\n"
    "b,therapist,You should just call her. You're making excuses.,2026-11-02\n"
    "b,client,Maybe.,2026-11-02\n"
)


def write(tmp_path, text: str | bytes, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_codes_every_row_and_keeps_extra_columns(cli, tmp_path):
    source = write(tmp_path, GOOD)
    result = cli(
        "code",
        str(source),
        "--out",
        str(tmp_path / "out.csv"),
        "--summary",
        str(tmp_path / "summary.json"),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["session_date"] for r in rows] == ["2026-11-01"] * 3 + ["2026-11-02"] * 2
    assert [r["speaker"] for r in rows] == [
        "client",
        "therapist",
        "therapist",
        "therapist",
        "client",
    ]
    assert rows[0]["talk_type"] in {"change", "neutral", "sustain"} and rows[0]["miti_codes"] == ""
    assert "Complex Reflection" in rows[1]["miti_codes"].split(";")
    assert rows[1]["reflection_type"] == "complex"
    assert rows[2]["behaviour"] == "question" and rows[2]["question_type"] == "open"
    assert {"Persuade", "Confront"} <= set(rows[3]["miti_codes"].split(";"))
    assert rows[3]["talk_type"] == ""

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == {"a", "b"}
    assert summary["a"]["fidelity"] > summary["b"]["fidelity"]
    assert summary["b"]["mi_non_adherent"] >= 2
    for field in (
        "counts",
        "reflection_to_question",
        "percent_complex_reflections",
        "mi_adherent",
        "percent_mi_consistent",
        "globals",
        "levels",
    ):
        assert field in summary["a"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("conversation_id,speaker\na,client\n", "the required column 'text' is missing"),
        (
            "conversation_id,speaker,text\na,client,hi\na,counsellor,hello\n",
            "row 2 (line 3), column 'speaker': unknown value 'counsellor'",
        ),
        (
            "conversation_id,speaker,text\na,client,hi\na,therapist,   \n",
            "row 2 (line 3), column 'text': the text is empty",
        ),
        ("conversation_id,speaker,text\n", "the file has a header but no rows"),
        (b"conversation_id,speaker,text\na,client,caf\xe9\n", "line 2: the file is not valid"),
        ("conversation_id,speaker,text,behaviour\na,client,hi,x\n", "'behaviour' would be"),
    ],
)
def test_malformed_input_is_one_sentence_and_writes_nothing(cli, tmp_path, content, expected):
    source = write(tmp_path, content)
    out = tmp_path / "out.csv"
    result = cli("code", str(source), "--out", str(out), "--summary", str(tmp_path / "s.json"))
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists() and not (tmp_path / "s.json").exists()
    assert list(tmp_path.glob(".out.csv.*")) == []


def test_an_existing_output_survives_a_failed_run(cli, tmp_path):
    out = write(tmp_path, "previous results\n", "out.csv")
    source = write(tmp_path, "conversation_id,speaker,text\na,robot,beep\n")
    assert cli("code", str(source), "--out", str(out)).exit_code == 2
    assert out.read_text() == "previous results\n"


def test_unknown_backend_and_missing_file(cli, tmp_path):
    source = write(tmp_path, GOOD)
    result = cli("code", str(source), "--out", str(tmp_path / "o.csv"), "--backend", "gpt")
    assert result.exit_code == 2 and "Unknown backend 'gpt'" in result.stderr
    result = cli("code", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "nope.csv cannot be read" in result.stderr


def test_llm_backend_with_the_embedded_model(cli, tmp_path):
    source = write(tmp_path, GOOD)
    result = cli("code", str(source), "--out", str(tmp_path / "out.csv"), "--backend", "llm")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert all(
        r["talk_type"] in {"change", "neutral", "sustain"} for r in rows if r["speaker"] == "client"
    )
    assert all(
        r["behaviour"] in {"reflection", "question", "therapist_input", "other"}
        for r in rows
        if r["speaker"] == "therapist"
    )


class ScriptedJudge(BaseChatModel):
    """A fake judge: the test must control exactly which replies are malformed."""

    replies: list[str]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.replies.pop(0)))])

    def _stream(self, *args, **kwargs) -> Iterator:
        raise NotImplementedError


def test_malformed_judge_output_is_retried(tmp_path):
    judge = ScriptedJudge(
        replies=[
            "Sure! Here are the codes: Question",
            '{"codes": ["Question", "Hug"], "behaviour": "question"}',
            '{"codes": ["Question", "Affirm"], "behaviour": "question", "question_type": "open"}',
        ]
    )
    coder = LLMCoder(Settings(), chat_model=judge)
    codes = coder.code_one("therapist", "What went well this week?")
    assert [str(c) for c in codes.miti_codes] == ["Question", "Affirm"]
    assert codes.question_type == "open" and codes.primary == "Question"
    assert judge.replies == []


def test_a_judge_that_never_complies_fails_clearly():
    coder = LLMCoder(Settings(), chat_model=ScriptedJudge(replies=["nope"] * 3))
    with pytest.raises(CoachError, match="malformed codes 3 times"):
        coder.code_one("client", "I might cut down.")
