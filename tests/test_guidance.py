"""MI-guided generation: scoring, the sentence gate, repair, revision and storage, with the
real offline coder, and the real embedded SmolLM2 where the model's own output is enough."""

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from coach.storage.db import open_database
from coach.storage.store import Store
from coach.supervisor.agent import Revision, Supervisor
from coach.supervisor.guidance import Guide, sentences

MESSAGE = "My client keeps putting off the walk she promised herself after her session."
GOOD = (
    "It sounds like she really wants the walk, and you can see something keeps getting in "
    "the way. What do you think matters to her about it?"
)
PERSUADE = "You should tell her to just do it tomorrow morning."
UNSAFE = "She could take 2 grams next time to go deeper."


def test_sentences_stop_at_the_first_question_and_drop_an_unfinished_tail():
    chunks = ["You see ", "her effort. What ", "helps her? And more.", " Extra."]
    assert list(sentences(chunks, 5)) == ["You see her effort.", "What helps her?"]
    assert list(sentences(["One. Two. Three. Four."], 2)) == ["One.", "Two."]
    assert list(sentences(["Done here. And then she"], 3)) == ["Done here."]
    assert list(sentences(["only a fragment"], 3)) == ["only a fragment"]
    # prompt format the model copies is removed; a role label that breaks role is kept
    assert list(sentences(["> **You care** [mi-spirit] about her. Client: I do."], 3)) == [
        "You care about her.",
        "Client: I do.",
    ]


@pytest.fixture(scope="module")
def guide():
    from coach.settings import Settings

    return Guide(Settings())


def test_a_reflection_with_an_open_question_outranks_advice(guide):
    good, pushy = guide.score(MESSAGE, [GOOD, PERSUADE], [])
    assert good.acceptable and good.reflection and good.open_question
    assert pushy.non_adherent and not pushy.acceptable
    assert good.score > pushy.score
    assert any("non-adherent" in r for r in pushy.reasons)


def test_unsafe_and_out_of_role_candidates_are_disqualified(guide):
    unsafe, ai, client = guide.score(
        MESSAGE,
        [
            UNSAFE,
            "As an AI language model, I think she is avoiding it. What do you think?",
            "Client: I just never feel like going.",
        ],
        [],
    )
    assert unsafe.unsafe == ["dosing"] and unsafe.score < -50
    assert ai.unsafe == ["role_drop"] and client.unsafe == ["role_drop"]
    [allowed] = guide.score(MESSAGE, ["Client: I just never feel like going."], [], roleplay=True)
    assert not allowed.unsafe


def test_copies_repetitions_and_overlong_replies_are_not_acceptable(guide):
    example = guide.picker.exemplars[0].supervisor
    fresh, copy = guide.score(MESSAGE, [GOOD, example], [])
    assert "copying" in copy.incoherent and not copy.acceptable
    assert any("copies" in r for r in copy.reasons) and fresh.score > copy.score
    assert fresh.acceptable, fresh.reasons
    [again] = guide.score(MESSAGE, [GOOD], [], earlier=[GOOD])
    assert "repetition" in again.incoherent and not again.acceptable
    long = GOOD + " " + " ".join(["She has tried many things."] * 20)
    [scored] = guide.score(MESSAGE, [long], [])
    assert any(r.endswith("words") for r in scored.reasons)


def test_repair_drops_persuasion_and_adds_a_written_open_question(guide):
    draft = f"{PERSUADE} Her walk keeps slipping."  # left alone, it neither reflects nor asks
    repaired = guide.repair(MESSAGE, draft, "client", False)
    assert repaired and PERSUADE not in repaired and repaired.endswith("?")
    [scored] = guide.score(MESSAGE, [repaired], [])
    assert scored.acceptable, scored.reasons
    assert any(repaired.endswith(q) for group in guide.floor.texts.values() for q in group)


def test_repair_gives_up_on_a_reply_spoken_as_the_trainee(guide):
    assert (
        guide.repair(
            MESSAGE, "My client cried and I froze. I felt awful all week.", "client", False
        )
        is None
    )


def test_exemplars_fit_the_message_and_focus(guide):
    picked = guide.picker.pick(
        "I'm worn out and I keep skipping breaks between clients.", "selfcare", 2
    )
    assert len(picked) == 2 and all(e.focus == "selfcare" for e in picked)


# -- through the agent ------------------------------------------------------------------


def scripted(*replies: str) -> GenericFakeChatModel:
    """Replies in a fixed order. A fake because the real model cannot be made to write a
    pushy or unsafe draft on demand; everything around it (coder, store) is real."""
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


def test_repair_checks_the_whole_reply_not_just_its_sentences(guide):
    # A real guided reply from the core suite: no sentence is Persuade on its own, together
    # they are. The message tells of a session moment, so the written question the repair adds
    # may ask about one (coach.supervisor.floor.ABOUT_A_MOMENT).
    message = (
        "Today a client pushed back and I thought MI is too soft for this work. Sometimes "
        "clients need someone to tell them the truth."
    )
    reply = (
        "I'll work with you to find a way that helps the client who is not using MI "
        "skills and has no desire for them. I've been doing this kind of training for "
        "some years now, so it's my job to be patient. You see, you can't just take any "
        "form of treatment when it comes down to your own life choices or personal "
        "circumstances. What do you already know works for you in moments like this?"
    )
    parts = list(sentences([reply + " "], 4))
    assert not any(c.mi_non_adherent for c in guide.code(message, parts))
    assert guide.code(message, [reply])[0].mi_non_adherent
    repaired = guide.repair(message, reply, "skills", False)
    assert repaired and "I've been doing" not in repaired  # spoken as the trainee: dropped
    [scored] = guide.score(message, [repaired], [])
    assert scored.acceptable and repaired.endswith("?"), scored


@pytest.fixture
def store(indexed_env):
    return Store(open_database(indexed_env))


@pytest.fixture(autouse=True)
def model_design(request, monkeypatch):
    """These tests drive the model's guided path (MIE_REPLY_DESIGN=moves); the embedded
    default composes most replies instead, tested in test_composed.py."""
    if "indexed_env" in request.fixturenames:
        monkeypatch.setattr(request.getfixturevalue("indexed_env"), "reply_design", "moves")


def test_a_pushy_draft_is_held_back_and_revised(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "best_of_n")
    model = scripted(f"Okay. {PERSUADE}", GOOD, "Fine.")
    agent = Supervisor(indexed_env, chat_model=model, store=store)
    turn = agent.turn(MESSAGE, focus="client")
    pieces = list(turn)
    shown = [p for p in pieces if isinstance(p, str)]
    assert shown == ["Okay."], "the gate never shows a non-adherent sentence"
    assert isinstance(pieces[-1], Revision) and pieces[-1].text == GOOD
    result = turn.result
    assert result.reply == GOOD and result.guidance.revised and result.guidance.chosen == 1
    saved = store.messages(turn.session_id)[-1]
    assert (saved.content, saved.guidance_mode, saved.candidates) == (GOOD, "best_of_n", 3)
    assert [round(c["score"], 2) for c in saved.guidance["candidates"]] == [
        round(c.score, 2) for c in result.guidance.candidates
    ]


def test_when_every_draft_is_unsafe_the_fallback_replies_and_the_session_is_flagged(
    indexed_env, store
):
    agent = Supervisor(indexed_env, chat_model=scripted(UNSAFE, UNSAFE, UNSAFE), store=store)
    turn = agent.turn(MESSAGE, focus="client")
    result = turn.run()
    assert "2 grams" not in result.reply and "clinical supervisor" in result.reply
    assert result.flags == ["dosing"]
    assert store.session(turn.session_id).flagged


def test_a_session_keeps_its_exemplars_so_the_prompt_only_grows(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "reply_design", "prompt")  # the design for servers
    agent = Supervisor(indexed_env, chat_model=scripted(GOOD, GOOD, GOOD), store=store)
    first = agent.turn(MESSAGE, focus="client")
    first.run()
    second = agent.turn("I'm exhausted and I dread Mondays.", session_id=first.session_id)
    # the first prompt is a prefix of the second, so the model's KV cache stays valid
    assert second.messages[: len(first.messages)] == first.messages
    assert second.messages[len(first.messages)] == AIMessage(GOOD)


def test_stopping_a_guided_reply_keeps_what_was_shown(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "best_of_n")  # streams the draft as it comes
    agent = Supervisor(indexed_env, chat_model=scripted(f"Okay. {GOOD}", GOOD, GOOD), store=store)
    turn = agent.turn(MESSAGE)
    for piece in turn:
        assert piece == "Okay."
        turn.stop()
    saved = store.messages(turn.session_id)[-1]
    assert (saved.status, saved.content) == ("interrupted", "Okay.")
    assert turn.result.guidance.candidates == [], "no more candidates after a stop"


class StopsWhileSampling(GenericFakeChatModel):
    """Presses Stop while the second candidate is sampled, after the draft was shown: a
    timing the real model cannot be made to hit on demand."""

    turn: Any = None
    calls: int = 0

    def _stream(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 2:
            self.turn.stop()
        yield from super()._stream(*args, **kwargs)


def test_a_stop_between_pieces_still_interrupts(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "best_of_n")  # samples after the draft
    model = StopsWhileSampling(messages=iter([AIMessage(GOOD)] * 3))
    agent = Supervisor(indexed_env, chat_model=model, store=store)
    model.turn = turn = agent.turn(MESSAGE)
    assert all(isinstance(p, str) for p in turn)
    saved = store.messages(turn.session_id)[-1]
    assert (saved.status, saved.content) == ("interrupted", GOOD)


def test_check_mode_regenerates_only_a_failing_draft(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "check")
    agent = Supervisor(indexed_env, chat_model=scripted(GOOD), store=store)
    assert len(agent.turn(MESSAGE).run().guidance.candidates) == 1
    agent = Supervisor(indexed_env, chat_model=scripted(PERSUADE, GOOD), store=store)
    result = agent.turn(MESSAGE).run()
    assert len(result.guidance.candidates) == 2 and result.reply == GOOD


def test_check_mode_shows_nothing_before_the_draft_has_passed(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "check")
    agent = Supervisor(indexed_env, chat_model=scripted(f"Okay. {PERSUADE}", GOOD), store=store)
    turn = agent.turn(MESSAGE)
    pieces = list(turn)
    assert pieces == [GOOD], "one piece, the reply that passed; no revision"
    assert not turn.result.guidance.revised and len(turn.result.guidance.candidates) == 2


def test_when_no_candidate_passes_the_verified_floor_answers(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "check")
    speaks_as_trainee = "My client cried and I froze. I felt awful about it all week."
    agent = Supervisor(indexed_env, chat_model=scripted(*[speaks_as_trainee] * 3), store=store)
    result = agent.turn(MESSAGE, focus="client").run()
    assert len(result.guidance.candidates) == 3 and result.guidance.floor
    assert "putting off the walk she promised herself" in result.reply
    [scored] = agent.guide.score(MESSAGE, [result.reply], result.sources)
    assert scored.acceptable, scored.reasons
    saved = store.messages(result.session_id)[-1]
    assert saved.guidance["floor"] and saved.content == result.reply


def test_the_embedded_model_gives_a_checked_coherent_reply(indexed_env, store):
    agent = Supervisor(indexed_env, store=store, seed=7)
    turn = agent.turn(
        "I keep wondering whether I'm cut out for integration work.", focus="selfcare"
    )
    # the moves design: the move's narrow task and the message, nothing the model could copy
    assert [type(m) for m in turn.messages] == [SystemMessage, HumanMessage]
    assert "open question" in turn.messages[0].content
    picked = {e.supervisor for e in agent.guide.picker.exemplars}
    assert not any(m.content in picked for m in turn.messages)
    result = turn.run()
    assert result.status == "complete" and result.guidance.mode == "check"
    assert result.guidance.move == "reflect_question"
    assert 1 <= len(result.guidance.candidates) <= 3
    [coded] = agent.guide.score(turn.message, [result.reply], result.sources)
    assert coded.acceptable, (result.reply, coded.reasons)
    assert result.timings_ms["first_token"] <= result.timings_ms["total"]


def test_plain_mode_streams_the_model_unchecked(indexed_env, store, monkeypatch):
    monkeypatch.setattr(indexed_env, "guidance", "plain")
    agent = Supervisor(indexed_env, store=store)
    turn = agent.turn(MESSAGE)
    pieces: Iterator = iter(turn)
    assert all(isinstance(p, str) for p in pieces)
    assert turn.result.guidance.mode == "plain" and turn.result.guidance.candidates == []
    assert store.messages(turn.session_id)[-1].guidance_mode == "plain"
