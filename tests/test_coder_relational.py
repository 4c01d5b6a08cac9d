"""The coder's trained head for Affirm, Seeking Collaboration, Emphasizing Autonomy, Confront
and Persuade (coach/coder/relational.py): verified weights, and the codes it adds to the rules'
on utterances written here (not taken from its banks or its evaluation set)."""

from __future__ import annotations

import json
import shutil

import pytest

from coach.coder.codes import Miti
from coach.coder.offline import OfflineCoder
from coach.coder.relational import META, WEIGHTS, RelationalHead
from coach.errors import ConfigError


@pytest.fixture(scope="module")
def coders() -> tuple[OfflineCoder, OfflineCoder]:
    return OfflineCoder(relational=True), OfflineCoder()


def codes(coder: OfflineCoder, client: str, text: str) -> set[Miti]:
    return set(coder.code(["client", "therapist"], [client, text])[1].miti_codes)


def test_the_committed_weights_are_verified(tmp_path):
    folder = tmp_path / "weights"
    shutil.copytree(WEIGHTS, folder)
    meta = json.loads((folder / META).read_text())
    (folder / meta["file"]).write_bytes((folder / meta["file"]).read_bytes() + b"\0")
    with pytest.raises(ConfigError, match="failed its sha256 check"):
        RelationalHead(folder)


@pytest.mark.parametrize(
    "client,text,expected",
    [
        (
            "I've had two drinks a night since the retreat, which is fine.",
            "Oh come on. Two a night is not fine and you know it.",
            Miti.CONFRONT,
        ),
        (
            "I haven't called my brother yet.",
            "Why not just pick up the phone tonight and get it over with?",
            Miti.PERSUADE,
        ),
        (
            "I'm not sure whether to go back to the ceremonies.",
            "Whether you go back is entirely your decision to make.",
            Miti.EMPHASIZING_AUTONOMY,
        ),
        (
            "I went to the group even though I was terrified.",
            "You went while you were terrified. That took real nerve.",
            Miti.AFFIRM,
        ),
    ],
)
def test_the_head_finds_what_the_rules_miss_or_agree_on(coders, client, text, expected):
    with_head, _ = coders
    assert expected in codes(with_head, client, text)


def test_advice_with_permission_is_not_persuasion(coders):
    with_head, _ = coders
    found = codes(
        with_head,
        "What do people usually do when the insights fade?",
        "Would it help if I shared what some people find useful? Some keep a short journal. "
        "You can see if it fits.",
    )
    assert Miti.PERSUADE not in found and Miti.CONFRONT not in found


@pytest.mark.parametrize(
    "client,text",
    [
        (
            "I keep thinking about my dad since the session.",
            "Your dad has been on your mind a lot.",
        ),
        (
            "Part of me wants to quit drinking and part of me likes it.",
            "You're pulled both ways: it helps you unwind, and you're worried where it's going.",
        ),
        ("It was a hard week.", "What made it hard?"),
    ],
)
def test_ordinary_reflections_and_questions_are_not_non_adherent(coders, client, text):
    with_head, _ = coders
    assert not {Miti.CONFRONT, Miti.PERSUADE} & codes(with_head, client, text)


def test_only_a_trainees_practice_is_coded_with_the_head():
    from coach.coder import code_conversation, get_coder

    assert get_coder(trainee=True).relational is not None
    assert get_coder().relational is None  # supervisor-side text: rules alone
    turns = [("client", "I haven't called him."), ("therapist", "Why not just call him tonight?")]
    assert Miti.PERSUADE in code_conversation(turns, trainee=True).utterances[1].miti_codes
