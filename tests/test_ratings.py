"""Reviewers' ratings become regression cases: `mie-coach eval replay-ratings` as a user runs
it, on a real SQLite database, and the suite it writes run by `mie-coach eval run`."""

import json

import yaml

from coach.settings import Settings
from coach.storage.accounts import Accounts
from coach.storage.db import open_database
from coach.storage.store import Store

ON_TOPIC = (
    "It sounds like her tears caught you off guard, and part of you wanted to protect her "
    "from the pain. What do you think she needed from you in that moment?"
)
OFF_TOPIC = "Microdosing protocols are a popular subject at conferences these days."


def logged_sessions(settings: Settings) -> tuple[Store, int, list[tuple[str, int]]]:
    factory = open_database(settings)
    store, accounts = Store(factory), Accounts(factory)
    sue = accounts.add("sue_b", "supervisor", "a-long-password")
    session = store.create_session(focus="skills", channel="web")
    store.add_message(session, "trainee", "My client cried and I froze and changed the subject.")
    good = store.add_message(session, "supervisor", ON_TOPIC)
    store.add_message(session, "trainee", "I was scared I would not know what to say.")
    bad = store.add_message(session, "supervisor", OFF_TOPIC)
    return store, sue.id, [(session, good), (session, bad)]


def test_rated_replies_become_a_suite_and_a_replay_the_checks_agree_with(
    cli, tmp_path, indexed_env
):
    store, sue, [(session, good), (_, bad)] = logged_sessions(indexed_env)
    store.rate(session, good, sue, "helpful")
    store.rate(session, bad, sue, "off_topic", "Nothing to do with her fear.")

    result = cli("eval", "replay-ratings", "--out", str(tmp_path / "rated"))
    assert result.exit_code == 0, result.output
    assert "Wrote 2 rated replies" in result.output
    suite = yaml.safe_load((tmp_path / "rated" / "rated.yaml").read_text())
    helpful, off = suite["scenarios"]
    assert helpful["title"] == "Rated helpful by sue_b"
    assert off["title"] == "Rated off topic by sue_b: Nothing to do with her fear."
    # The off-topic case replays the first exchange, then asks the rated message again.
    assert off["turns"][0] == "My client cried and I froze and changed the subject."
    assert off["turns"][-1]["say"] == "I was scared I would not know what to say."
    assert {"type": "coherence"} in off["turns"][-1]["expect"]
    recorded = [
        json.loads(line) for line in (tmp_path / "rated" / "rated.jsonl").read_text().splitlines()
    ]
    assert [len(r["turns"]) for r in recorded] == [1, 2]
    assert recorded[1]["turns"][-1]["supervisor"] == OFF_TOPIC

    report = tmp_path / "report"
    result = cli(
        "eval",
        "run",
        str(tmp_path / "rated" / "rated.yaml"),
        "--replay",
        str(tmp_path / "rated" / "rated.jsonl"),
        "--report",
        str(report),
    )
    cases = {c["scenario"]: c for c in json.loads((report / "report.json").read_text())["cases"]}
    assert cases[helpful["id"]]["passed"]
    failed = [c["check"] for c in cases[off["id"]]["replies"][-1]["checks"] if not c["passed"]]
    assert "coherence" in failed and result.exit_code == 1


def test_only_one_kind_of_rating_and_bad_input(cli, tmp_path, indexed_env):
    result = cli("eval", "replay-ratings", "--out", str(tmp_path / "none"))
    assert result.exit_code == 2 and "No reply has been rated yet" in result.output
    store, sue, [(session, good), (_, bad)] = logged_sessions(indexed_env)
    store.rate(session, good, sue, "helpful")
    store.rate(session, bad, sue, "unsafe")
    result = cli("eval", "replay-ratings", "--out", str(tmp_path / "u"), "--rating", "unsafe")
    assert result.exit_code == 0 and "Wrote 1 rated reply" in result.output
    [scenario] = yaml.safe_load((tmp_path / "u" / "rated.yaml").read_text())["scenarios"]
    assert scenario["turns"][-1]["expect"] == [{"type": "safety"}]
    result = cli("eval", "replay-ratings", "--out", str(tmp_path / "x"), "--rating", "meh")
    assert result.exit_code == 2 and "'meh' is not a rating" in result.output
    assert not (tmp_path / "x").exists()
