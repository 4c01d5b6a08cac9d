"""`mie-coach eval` as a user runs it: replayed and live suites, reports, compare, log export."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from coach.settings import REPO_ROOT

EXAMPLES = REPO_ROOT / "eval" / "examples" / "replay.jsonl"


def report(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())


def cases_by_id(data: dict) -> dict[str, dict]:
    return {c["recorded_id"] or c["scenario"]: c for c in data["cases"]}


def test_replay_passes_the_mi_consistent_reply_and_fails_the_inconsistent_one(cli, tmp_path):
    result = cli("eval", "run", "core", "--replay", str(EXAMPLES), "--report", str(tmp_path))
    assert result.exit_code == 1, result.output
    cases = cases_by_id(report(tmp_path))
    good, bad = cases["mi-consistent"], cases["mi-inconsistent"]
    assert good["passed"], good
    assert not bad["passed"]
    failed = [c for r in bad["replies"] for c in r["checks"] if not c["passed"]]
    assert any("persuade present" in c["reason"] for c in failed)
    assert any(c["check"] == "miti" for c in bad["session_checks"] if not c["passed"])
    assert good["replies"][0]["codes"]["question_type"] == "open"
    assert "core/client-sustain-talk#0@mi-inconsistent" in result.output


def test_replay_of_only_consistent_replies_exits_zero(cli, tmp_path):
    only_good = tmp_path / "good.jsonl"
    only_good.write_text(EXAMPLES.read_text().splitlines()[0] + "\n")
    result = cli(
        "eval", "run", "core", "--replay", str(only_good), "--report", str(tmp_path / "out")
    )
    assert result.exit_code == 0, result.output
    data = report(tmp_path / "out")
    assert data["run"]["mode"] == "replay" and data["metrics"]["cases_passed"] == 1
    assert data["metrics"]["mi_non_adherent_replies"] == 0


def test_conversation_without_scenario_is_scored_with_the_suite_defaults(cli, tmp_path):
    recorded = tmp_path / "logged.jsonl"
    recorded.write_text(
        json.dumps(
            {
                "id": "s1",
                "turns": [
                    {
                        "trainee": "My client says nothing changed.",
                        "supervisor": "You should tell him he is wrong and he must keep trying.",
                    }
                ],
            }
        )
        + "\n"
    )
    result = cli("eval", "run", "core", "--replay", str(recorded), "--report", str(tmp_path))
    assert result.exit_code == 1
    (case,) = report(tmp_path)["cases"]
    assert case["scenario"] == "recorded" and case["recorded_id"] == "s1"
    names = {c["name"] for c in case["replies"][0]["checks"]}
    assert "no confront or persuade" in names and "turn time <= 30 s" in names
    latency = next(c for c in case["replies"][0]["checks"] if c["check"] == "latency")
    assert not latency["passed"] and latency["reason"] == "not recorded"


SMALL_SUITE = """\
name: smoke
description: A small live suite for the tests.
defaults:
  expect:
    - type: length
      min_words: 1
      max_words: 400
    - type: role
scenarios:
  - id: scripted
    title: One scripted turn
    persona: A trainee whose client has stopped calling back.
    focus: client
    turns:
      - say: My client stopped returning my calls after her session.
        expect:
          - type: latency
            max_first_token_seconds: 0.001
    session:
      - type: miti
        max_mi_non_adherent: 10
  - id: simulated
    title: A scripted turn, then a simulated trainee
    persona: A trainee who feels tired after a long week of integration sessions.
    focus: selfcare
    turns:
      - I feel drained after this week.
    simulate:
      turns: 1
"""


def test_live_run_of_a_small_suite_writes_all_four_outputs(cli, tmp_path, indexed_env):
    suite = tmp_path / "smoke.yaml"
    suite.write_text(SMALL_SUITE)
    folder = tmp_path / "report"
    result = cli("eval", "run", str(suite), "--report", str(folder), "--seed", "7")
    # The 1 ms first-token bound cannot be met, so exactly that check fails: exit 1.
    assert result.exit_code == 1, result.output
    assert "Eval results by suite" in result.output and "smoke" in result.output

    data = report(folder)
    run = data["run"]
    assert run["mode"] == "live" and run["backend"] == "embedded" and run["seed"] == 7
    assert run["model"] == "SmolLM2-135M-Instruct"
    assert len(run["prompt_version"]) == 12 and len(run["index_version"]) == 12
    assert run["settings"]["retrieval_mode"] == "hybrid"
    cases = {c["scenario"]: c for c in data["cases"]}
    scripted, simulated = cases["scripted"], cases["simulated"]
    failed = [c for r in scripted["replies"] for c in r["checks"] if not c["passed"]]
    assert [c["name"] for c in failed] == ["time to first token <= 0.001 s"]
    assert simulated["passed"], simulated
    assert [r["simulated"] for r in simulated["replies"]] == [False, True]
    for case in data["cases"]:
        for reply in case["replies"]:
            assert reply["reply"] and reply["status"] == "complete"
            assert reply["codes"]["speaker"] == "therapist" and reply["sources"]
            assert reply["sources"][0]["text"]
            assert reply["seconds"] > 0

    html = (folder / "report.html").read_text()
    assert "FAIL · smoke / One scripted turn" in html and "PASS · smoke" in html
    assert "time to first token &lt;= 0.001 s" in html
    junit = ET.parse(folder / "junit.xml").getroot()
    assert junit.get("tests") == "2" and junit.get("failures") == "1"
    (failure,) = junit.iter("failure")
    assert "time to first token" in failure.get("message")
    assert (folder / "eval.db").is_file()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("focus: client", "focus: clients"), "line 13: scenarios.0.focus: Input should be"),
        (("max_words: 400", "max_words: lots"), "line 7: defaults.expect.0.length.max_words"),
        (("- type: role", "- type: vibes"), "line 8: defaults.expect.1: Input tag 'vibes'"),
        (
            ("    persona: A trainee whose", "    persona_: A trainee whose"),
            "line 10: scenarios.0.persona: Field required",
        ),
        (("id: simulated", "id: scripted"), "scenario id 'scripted' appears twice"),
        (("      turns: 1", "      turns: 0"), "scenarios.1.simulate.turns: Input should be"),
        (("title: One scripted turn", "title: [unclosed"), "not valid YAML"),
    ],
)
def test_a_malformed_suite_names_file_line_and_field(cli, tmp_path, edit, expected):
    suite = tmp_path / "smoke.yaml"
    suite.write_text(SMALL_SUITE.replace(*edit, 1))
    result = cli("eval", "run", str(suite), "--report", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert f"Error: {suite}" in result.output and expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r" / "report.json").exists()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('{"scenario": "client-sustain-talk"}', "line 2: turns: Field required"),
        ('{"turns": [{"trainee": "", "supervisor": "x"}]}', "line 2: turns.0.trainee"),
        (
            '{"scenario": "no-such", "turns": [{"trainee": "a", "supervisor": "b"}]}',
            "line 2: suite 'core' has no scenario 'no-such'",
        ),
        (
            '{"suite": "safety", "turns": [{"trainee": "a", "supervisor": "b"}]}',
            "line 2: suite 'safety' is not among the suites given (core)",
        ),
        ("[1, 2]", "line 2: each line must be a JSON object"),
    ],
)
def test_a_malformed_replay_file_names_the_line(cli, tmp_path, line, expected):
    recorded = tmp_path / "bad.jsonl"
    recorded.write_text(EXAMPLES.read_text().splitlines()[0] + "\n" + line + "\n")
    result = cli("eval", "run", "core", "--replay", str(recorded), "--report", str(tmp_path / "r"))
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r" / "report.json").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["no-such-suite"], "There is no suite 'no-such-suite' (known suites: adversarial, core"),
        (["core", "--coder", "magic"], "--coder must be one of offline, llm, not 'magic'"),
        (["core", "--judge", "human"], "--judge must be one of none, llm"),
        (["core", "core"], "The suite 'core' was given twice"),
    ],
)
def test_usage_errors_exit_2(cli, tmp_path, args, expected):
    result = cli("eval", "run", *args, "--report", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert expected in result.output


def test_shipped_suites_load_and_are_big_enough():
    from coach.evals.suites import load_suites

    suites = {
        s.name: s
        for s in load_suites(
            ["core", "safety", "grounding", "adversarial"], REPO_ROOT / "eval" / "suites"
        )
    }
    minimum = {"core": 20, "safety": 15, "grounding": 10, "adversarial": 10}
    for name, count in minimum.items():
        assert len(suites[name].scenarios) >= count, name
    assert {s.focus for s in suites["core"].scenarios} == {"client", "skills", "selfcare", "open"}
    assert any(s.simulate for s in suites["core"].scenarios)
    escalating = [
        s
        for s in suites["safety"].scenarios
        if any(getattr(c, "escalates", False) for c in s.expect)
    ]
    assert len(escalating) >= 5


def test_compare_lists_cases_that_newly_fail(cli, tmp_path):
    lines = EXAMPLES.read_text().splitlines()
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    before.write_text(lines[0] + "\n")
    # The same conversation id, now with the inconsistent replies: a regression.
    regressed = json.loads(lines[1]) | {"id": "mi-consistent"}
    after.write_text(json.dumps(regressed) + "\n")
    assert (
        cli(
            "eval", "run", "core", "--replay", str(before), "--report", str(tmp_path / "old")
        ).exit_code
        == 0
    )
    assert (
        cli(
            "eval", "run", "core", "--replay", str(after), "--report", str(tmp_path / "new")
        ).exit_code
        == 1
    )

    old, new = tmp_path / "old" / "report.json", tmp_path / "new" / "report.json"
    result = cli("eval", "compare", str(old), str(new))
    assert result.exit_code == 1
    assert "Newly failing (1)" in result.output
    assert "core/client-sustain-talk#0@mi-consistent" in result.output
    assert "mi non adherent replies" in result.output and "+2" in result.output

    back = cli("eval", "compare", str(new), str(old))
    assert back.exit_code == 0 and "Newly passing (1)" in back.output

    not_a_report = tmp_path / "x.json"
    not_a_report.write_text('{"hello": 1}')
    bad = cli("eval", "compare", str(not_a_report), str(new))
    assert bad.exit_code == 2 and f"{not_a_report} is not an eval report.json" in bad.output


def test_logged_conversations_export_and_replay(cli, tmp_path, indexed_env):
    asked = cli("ask", "--json", "My client feels nothing changed after her retreat.")
    assert asked.exit_code == 0, asked.output
    session = json.loads(asked.output.strip().splitlines()[-1])["session_id"]
    exported = tmp_path / "logged.jsonl"
    result = cli("eval", "logs", "--out", str(exported), "--suite", "core")
    assert result.exit_code == 0, result.output
    (line,) = exported.read_text().splitlines()
    conversation = json.loads(line)
    assert conversation["id"] == session and conversation["suite"] == "core"
    (turn,) = conversation["turns"]
    assert turn["trainee"] == "My client feels nothing changed after her retreat."
    assert turn["sources"] and all(s["text"] for s in turn["sources"])
    assert turn["seconds"] > 0

    replayed = cli(
        "eval", "run", "core", "--replay", str(exported), "--report", str(tmp_path / "r")
    )
    assert replayed.exit_code in (0, 1), replayed.output  # the small model may fail checks
    (case,) = report(tmp_path / "r")["cases"]
    assert case["recorded_id"] == session and case["replies"][0]["codes"]


def test_unknown_session_in_log_export_is_one_sentence(cli, tmp_path, indexed_env):
    result = cli("eval", "logs", "--out", str(tmp_path / "x.jsonl"), "--session", "nope")
    assert result.exit_code == 2 and "There is no session 'nope'" in result.output
    assert not (tmp_path / "x.jsonl").exists()


def test_suites_dir_setting_finds_suites_by_name(cli, tmp_path, monkeypatch):
    folder = tmp_path / "suites"
    folder.mkdir()
    shutil.copy(REPO_ROOT / "eval" / "suites" / "core.yaml", folder / "mine.yaml")
    monkeypatch.setenv("MIE_SUITES_DIR", str(folder))
    result = cli("eval", "run", "mine", "--replay", str(EXAMPLES), "--report", str(tmp_path))
    # The copied suite is still named core, which the example lines ask for.
    assert result.exit_code == 1 and len(report(tmp_path)["cases"]) == 2


def test_grounding_judged_by_the_embedded_llm(cli, tmp_path, indexed_env):
    suite = tmp_path / "judged.yaml"
    suite.write_text(
        SMALL_SUITE.replace(
            "    - type: role\n", "    - type: role\n    - type: grounding\n      cites: false\n"
        )
    )
    recorded = tmp_path / "r.jsonl"
    recorded.write_text(
        json.dumps(
            {
                "id": "j",
                "turns": [
                    {
                        "trainee": "What is a double-sided reflection?",
                        "supervisor": "A double-sided reflection holds both sides of the "
                        "ambivalence. What might that sound like with your client?",
                        "sources": [
                            {
                                "doc_id": "reflections-simple-and-complex",
                                "text": "A double-sided reflection holds both sides "
                                "of ambivalence.",
                            }
                        ],
                    }
                ],
            }
        )
        + "\n"
    )
    result = cli(
        "eval",
        "run",
        str(suite),
        "--replay",
        str(recorded),
        "--judge",
        "llm",
        "--report",
        str(tmp_path / "r"),
    )
    assert result.exit_code in (0, 1), result.output  # the 135M judge's verdict may vary
    data = report(tmp_path / "r")
    assert data["run"]["judge"] == "llm"
    (grounding,) = [
        c for c in data["cases"][0]["replies"][0]["checks"] if c["check"] == "grounding"
    ]
    assert "claims supported" in grounding["reason"]
