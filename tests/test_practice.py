"""Practice mode as a user runs it: `mie-coach practice`, the personas, a client whose state
moves with how the trainee speaks, and the debrief."""

import json
from pathlib import Path

import pytest

from coach.coder.codes import Miti, UtteranceCodes
from coach.practice.personas import load_personas
from coach.practice.session import Practice
from coach.practice.state import ClientState
from coach.settings import REPO_ROOT, Settings

SCRIPTS = REPO_ROOT / "eval" / "practice"
PERSONAS = sorted(load_personas(REPO_ROOT / "prompts"))


def test_at_least_eight_personas_and_none_in_crisis():
    personas = load_personas(REPO_ROOT / "prompts")
    assert len(personas) >= 8
    assert len({p.substance for p in personas.values()}) >= 5
    assert not any(p.crisis for p in personas.values())


def test_confronting_raises_discord_and_reflecting_lowers_it():
    start = ClientState.start("contemplation")
    confront = UtteranceCodes(speaker="therapist", text="x", miti_codes=[Miti.CONFRONT])
    reflect = UtteranceCodes(speaker="therapist", text="x", miti_codes=[Miti.COMPLEX_REFLECTION])
    closed = UtteranceCodes(
        speaker="therapist", text="x", miti_codes=[Miti.QUESTION], question_type="closed"
    )
    assert start.after(confront).discord > start.discord > start.after(reflect).discord
    assert start.after(reflect).readiness > start.readiness > start.after(confront).readiness
    run = start.after(closed).after(closed)
    assert run.after(closed).discord > run.discord  # the third closed question in a row


def play(persona: str, script: str, seed: int) -> list:
    lines = [x for x in (SCRIPTS / script).read_text().splitlines() if x.strip()]
    practice = Practice(Settings(), persona, seed=seed, generate=False)
    return [practice.turn(line) for line in lines]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_client_answers_mi_with_more_change_talk_and_less_discord(persona):
    """Written scripts, every persona, three seeds; written floor lines only (the model's
    realisation is checked in the CLI test below)."""
    good = [t for s in range(3) for t in play(persona, "mi_consistent.txt", s)]
    bad = [t for s in range(3) for t in play(persona, "mi_inconsistent.txt", s)]

    def share(turns, talk):
        return sum(t.client.talk == talk for t in turns) / len(turns)

    assert share(good, "change") > share(bad, "change")
    assert share(good, "sustain") < share(bad, "sustain")
    assert sum(t.client.act == "discord" for t in good) < sum(
        t.client.act == "discord" for t in bad
    )


def test_a_scripted_practice_prints_one_json_object(cli, tmp_path, indexed_env):
    script = tmp_path / "script.txt"
    script.write_text(
        "It sounds like part of you wants to call her and part of you is scared.\n\n"
        "Honestly, you're making excuses.\n"
    )
    result = cli(
        "practice", "--persona", "maya-psilocybin-trial", "--script", str(script), "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["persona"] == "maya-psilocybin-trial" and data["opening"]
    assert [t["trainee"] for t in data["turns"]] == [
        "It sounds like part of you wants to call her and part of you is scared.",
        "Honestly, you're making excuses.",
    ]
    first, second = data["turns"]
    assert "Confront" in second["trainee_codes"]
    assert second["state"]["discord"] > first["state"]["discord"]
    for turn in data["turns"]:
        assert turn["client_talk"] in {"change", "neutral", "sustain"}
        assert turn["client"].strip() and turn["client_source"] in {"model", "floor"}
    assert "fidelity" in data["summary"]
    debrief = data["debrief"]
    assert debrief.startswith("Before I share") and "Would it be all right" in debrief
    assert "Honestly, you're making excuses." in debrief  # the growth point quotes the trainee
    assert debrief.rstrip().endswith("?")  # it ends by asking for the trainee's next step

    again = cli("practice", "--persona", "maya-psilocybin-trial", "--script", str(script), "--json")
    assert [t["client"] for t in json.loads(again.output)["turns"]] == [
        t["client"] for t in data["turns"]
    ]  # seeded: the same practice again


def test_list_and_bad_input(cli, tmp_path):
    listed = json.loads(cli("practice", "--list", "--json").output)
    assert {"id", "name", "summary"} <= set(listed[0]) and len(listed) >= 8
    result = cli("practice", "--persona", "nobody", "--script", str(SCRIPTS / "mi_consistent.txt"))
    assert result.exit_code == 2 and "There is no persona 'nobody'" in result.output
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    result = cli("practice", "--persona", PERSONAS[0], "--script", str(empty))
    assert result.exit_code == 2 and "holds no trainee lines" in result.output
    result = cli("practice", "--persona", PERSONAS[0], "--script", str(tmp_path / "none.txt"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert Path(tmp_path / "none.txt").exists() is False


def test_the_hint_asks_permission_fits_the_moment_and_uses_the_clients_words():
    practice = Practice(Settings(), "maya-psilocybin-trial", generate=False)
    first = practice.hint()
    assert first.startswith("May I offer one idea for your next move?")
    assert first.endswith("What do you think you'll try?")
    assert "It sounds like" in first and "your sister" in first  # from Maya's opening
    practice.turn("Did you ring her?")
    practice.turn("Was it hard?")
    assert "closed questions in a row" in practice.hint()
    practice.turn("Honestly you just need to stop overthinking it and call her tonight.")
    assert "came across as pushing" in practice.hint()
    said = practice.turns[-1].client.text.split(",")[0].split(".")[0].lower()
    assert said.split()[-1].strip("!?") in practice.hint().lower()


def test_a_hint_is_saved_with_the_practice_but_is_not_part_of_its_conversation(
    tmp_path, monkeypatch
):
    """A real SQLite database: the hint is stored where it was asked, shown in the review, and
    left out of the coding, the turn count and the coder's CSV."""
    from coach.review.exports import to_csv
    from coach.review.session import review_session
    from coach.storage.db import open_database
    from coach.storage.store import Store

    monkeypatch.setenv("MIE_DATA_DIR", str(tmp_path))
    settings = Settings()
    store = Store(open_database(settings))
    practice = Practice(settings, "maya-psilocybin-trial", generate=False, store=store)
    practice.turn("Did you ring her?")
    asked = practice.hint()
    practice.turn("It sounds like part of you wants to ring her and part of you is afraid.")
    practice.end()
    rows = store.messages(practice.session_id)
    assert [m.role for m in rows] == ["client", "trainee", "client", "hint", "trainee", "client"]
    assert rows[3].content == asked
    assert store.session(practice.session_id).messages == 5
    review = review_session(store, practice.session_id)
    hint_row = review.messages[3]
    assert hint_row.role == "hint" and hint_row.codes is None
    trainee_codes = [m.codes.miti_codes for m in review.messages if m.role == "trainee"]
    assert trainee_codes == [t.codes.miti_codes for t in practice.turns]
    csv_text = to_csv(review)
    assert asked.split("?")[0] not in csv_text and csv_text.count("therapist") == 2


def test_live_practices_are_bounded_least_recently_used_first():
    from coach.web.context import LivePractices

    live = LivePractices(2)
    live["a"], live["b"] = 1, 2
    assert live.get("a") == 1  # a is now the most recent
    live["c"] = 3
    assert list(live) == ["a", "c"] and live.get("b") is None


def test_the_terminal_practice_offers_a_hint_and_survives_bad_input(indexed_env):
    from typer.testing import CliRunner

    from coach.cli import app

    typed = "\n".join(
        ["/hint", "x" * 5000, "It sounds like part of you wants to call her.", "", ""]
    )
    result = CliRunner().invoke(
        app, ["practice", "--persona", "maya-psilocybin-trial"], input=typed
    )
    assert result.exit_code == 0, result.output
    assert "supervisor> May I offer one idea for your next move?" in result.output
    assert "Error:" in result.output and "Traceback" not in result.output  # and it went on
    after = result.output.split("Error:")[-1]  # the turn after the refused one was coded
    assert "Reflection]" in after and "reflections to questions" in after
    assert "What will you take from this into your next integration session?" in result.output


# Replies the embedded model wrote as the client in a validity run (unedited): each passed the
# earlier checks, and each talks like a helper or a document, not like a client.
HELPER_VOICED = [
    "I'm glad to hear that you've taken a step, and I'd like to say something about the "
    "possibility of making positive changes in your life.",
    "If I had to choose one, I would say that it is hard. It's a very serious consideration and "
    "something you need to accept every day for the rest of your life.",
    "I'm so sorry for your decision. It's very difficult to accept the changes that have been "
    "brought about.",
    "In the first person, I've been using a few words to make my initial response more personal "
    "and engaging.",
    "I'd rather take the first small step. Here's what I would do:\n1.",
]


@pytest.mark.parametrize("text", HELPER_VOICED)
def test_a_client_reply_in_a_helpers_voice_is_refused(text):
    from coach.practice.client import client_problems
    from coach.supervisor.coherence.overlap import RunIndex

    empty = RunIndex([], 6)
    problems = client_problems(text, "elaboration", "neutral", empty, empty)
    assert any("helper" in p or "document" in p for p in problems), problems


def test_a_client_reply_that_escalates_to_a_crisis_is_refused_unless_written_to():
    """No persona is written to escalate, so a generated reply with a textbook crisis
    disclosure is never the client's; a plainly ordinary one is not refused for it."""
    from coach.practice.client import client_problems
    from coach.supervisor.coherence.overlap import RunIndex

    empty = RunIndex([], 6)
    crisis = "Honestly, some days I think about ending my life."
    assert any("crisis" in p for p in client_problems(crisis, "sustain", "sustain", empty, empty))
    allowed = client_problems(crisis, "sustain", "sustain", empty, empty, crisis_allowed=True)
    assert not any("crisis" in p for p in allowed)
    plain = "I mean, I don't wanna die, I just want the mornings to be easier."
    assert not any(
        "crisis" in p for p in client_problems(plain, "sustain", "sustain", empty, empty)
    )


def test_every_written_client_line_passes_the_voice_checks():
    """The personas' own lines (the floor) are how a client talks: generic "you", push-back at
    the therapist. The voice checks must not refuse them."""
    from coach.practice.client import DOCUMENT_FORM, HELPER_TALK, advises_you

    lines = [
        line
        for persona in load_personas(Settings().prompts_dir).values()
        for act in ("change", "sustain", "neutral", "discord", "elaboration")
        for line in getattr(persona.lines, act)
    ]
    assert len(lines) >= 100
    refused = [
        line
        for line in lines
        if HELPER_TALK.search(line) or DOCUMENT_FORM.search(line) or advises_you(line)
    ]
    assert refused == []


def test_the_client_adapter_is_verified_and_loaded_only_when_asked_for(tmp_path, monkeypatch):
    """The committed client LoRA passes its sha256 check and reaches llama.cpp when
    MIE_CLIENT_ADAPTER is on; a tampered copy is refused with one sentence."""
    import json
    import shutil

    from coach.errors import ConfigError
    from coach.llm import backends
    from coach.practice.session import client_model

    assert backends.adapter_file("client").name == "client_adapter.gguf"
    on = client_model(Settings(client_adapter=True))
    off = client_model(Settings())
    assert on.lora_path == str(backends.adapter_file("client")) and off.lora_path is None
    for name in ("client_adapter.json", "client_adapter.gguf"):
        shutil.copy(backends.ADAPTER_DIR / name, tmp_path / name)
    with (tmp_path / "client_adapter.gguf").open("ab") as handle:
        handle.write(b"x")
    monkeypatch.setattr(backends, "ADAPTER_DIR", tmp_path)
    backends.adapter_file.cache_clear()
    try:
        with pytest.raises(ConfigError, match="does not match its recorded sha256"):
            backends.adapter_file("client")
        assert json.loads((tmp_path / "client_adapter.json").read_text())["file"]
    finally:
        backends.adapter_file.cache_clear()
