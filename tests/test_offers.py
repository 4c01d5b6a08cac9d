"""Keeping the offer: a trainee who asks for an idea, outright or by saying yes after the
supervisor asked permission, is given one from the written bank (prompts/offers.yaml), with
the real embedder, coder, coherence checks and a real SQLite store.

The chat model is scripted where the test needs the permission move to have been made (the
embedded model's wording varies); it cannot misbehave on demand otherwise."""

from pathlib import Path

import pytest
import yaml
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from coach.coder import code_many
from coach.coder.codes import Miti
from coach.errors import ConfigError
from coach.storage.db import open_database
from coach.storage.store import Store
from coach.supervisor.agent import Supervisor
from coach.supervisor.moves import offer_request
from coach.supervisor.offers import Offers

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
SILENCE = "How long am I supposed to let a silence run before I say something?"
PERMISSION = (
    "You'd like a better way through that moment. I have a few thoughts on that if you'd "
    "like them. Before I share them, what have you already tried or considered?"
)


@pytest.fixture
def store(indexed_env) -> Store:
    return Store(open_database(indexed_env))


def scripted(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


def test_the_bank_is_valid_and_every_offer_gives_choice_and_asks_one_open_question():
    bank = Offers(PROMPTS / "offers.yaml")
    assert len(bank.data.offers) >= 60
    for o in bank.data.offers:
        words = o.offer.lower()
        assert not any(w in words for w in ("you should", "you must", "you need to")), o.id
        assert o.question.count("?") == 1, o.id


def test_a_request_asked_outright_gets_an_idea_that_fits_and_hands_the_choice_back(
    indexed_env, store
):
    agent = Supervisor(indexed_env, store=store)
    result = agent.turn(SILENCE, focus="skills").run()
    guidance = result.guidance
    assert guidance.move == "inform", result.reply
    offered = next(o for o in agent.guide.offers.data.offers if o.offer[5:40] in result.reply)
    assert offered.id == "silence-after-big-moment"
    assert result.reply.endswith(offered.question)
    [coded] = code_many([[("client", SILENCE), ("therapist", result.reply)]])
    codes = coded.utterances[1].miti_codes
    assert Miti.PERSUADE not in codes and not coded.utterances[1].mi_non_adherent, codes
    saved = store.messages(result.session_id)[-1]
    assert saved.guidance["move"] == "inform" and saved.content == result.reply


def test_after_permission_a_yes_gets_the_idea_and_a_no_thanks_does_not(indexed_env, store):
    ask = (
        "A client snapped at me today, 'stop repeating everything I say back to me', and I "
        "froze and apologised four times. What should I have done?"
    )
    agent = Supervisor(indexed_env, chat_model=scripted(*[PERMISSION] * 8), store=store)
    first = agent.turn(ask, focus="skills").run()
    assert first.guidance.move == "permission"
    yes = agent.turn(
        "I just kept apologising and moved on. So yes, I'd really like your ideas.",
        session_id=first.session_id,
    ).run()
    assert yes.guidance.move == "inform", yes.reply
    assert any(
        o.id == "client-snaps" and o.question in yes.reply for o in agent.guide.offers.data.offers
    ), yes.reply
    # a second permission ask, declined: nothing is pressed on the trainee
    again = agent.turn(ask, focus="skills").run()
    assert again.guidance.move == "permission"
    declined = agent.turn(
        "No thanks, I'd rather work it out myself first.", session_id=again.session_id
    )
    assert declined.offer is None


def test_nothing_is_offered_when_the_bank_has_nothing_close():
    assert offer_request("My client cried for the whole session and I just sat there.") is None
    bank = Offers(PROMPTS / "offers.yaml")
    assert bank.match("Can you give me a good recipe for sourdough bread?") is None


def test_an_idea_already_given_in_the_session_is_not_given_again():
    bank = Offers(PROMPTS / "offers.yaml")
    first = bank.match(SILENCE)
    assert first is not None
    reply = bank.reply(first)
    assert bank.match(SILENCE, earlier=[reply]) is None
    # and the next idea opens with a lead the session has not heard
    other = bank.match("Can you give me some open questions for a first integration session?")
    assert other is not None
    assert bank.reply(other, earlier=[reply]).split(":")[0] != reply.split(":")[0]


def test_a_broken_bank_is_refused_in_one_sentence(tmp_path):
    data = yaml.safe_load((PROMPTS / "offers.yaml").read_text(encoding="utf-8"))
    data["offers"][0]["question"] = "Tell me more."
    bad = tmp_path / "offers.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="open question"):
        Offers(bad)


def test_an_idea_after_a_colon_starts_lower_case_but_acronyms_and_i_stay():
    from coach.supervisor.offers import _joined

    lead = "One idea, if it helps: {offer}"
    assert _joined(lead, "A common rule is three sentences.").endswith(
        ": a common rule is three sentences."
    )
    assert _joined(lead, "MITI counts reflections.").endswith(": MITI counts reflections.")
    assert _joined(lead, "I would wait.").endswith(": I would wait.")


def test_a_yes_collects_the_idea_the_permission_ask_was_made_for():
    """The trainee's answer can pull the match elsewhere; the promise was made for the ask."""
    bank = Offers(PROMPTS / "offers.yaml")
    ask = (
        "A client snapped at me today, 'stop repeating everything I say back to me', and I "
        "froze and apologised four times. What should I have done?"
    )
    promised = bank.match(ask)
    assert promised is not None
    answer = (
        "Yes please. I had already tried a silence, then a long summary of her week, her "
        "journaling, her sister, the retreat and her sleep diary, and none of it landed."
    )
    assert bank.match(f"{ask} {answer}") is None  # the answer alone pulls the match away
    match, request = bank.plan(answer, previous_message=ask, previous_move="permission")
    assert match is not None and match.offer.id == promised.offer.id
    assert request == f"{ask} {answer}"


def test_every_idea_in_the_bank_can_be_shown(indexed_env):
    """An entry the turn's checks would reject (the wrong person, too long, non-adherent) is
    never shown, and the small model answers instead: each entry, composed as it would be
    given, passes the checks an offer must pass (real coder and coherence checks)."""
    agent = Supervisor(indexed_env)
    bank = agent.guide.offers
    rejected = []
    for entry in bank.data.offers:
        match = bank.ranked(entry.asks[0])[0]
        text = bank.reply(type(match)(entry, match.similarity))
        [c] = agent.guide.score(entry.asks[0], [text], [], False, [])
        if c.unsafe or c.non_adherent or set(c.incoherent) - {"relevance"} or not c.fits_length:
            rejected.append(entry.id)
    assert not rejected, rejected


def test_a_question_about_what_a_concept_is_gets_the_entry_that_explains_it():
    """Asked what a named MI concept is, the entry that explains it is given, even where two
    entries on the concept tie by meaning; naming a concept without asking does not."""
    bank = Offers(PROMPTS / "offers.yaml")
    asked = {
        "Twenty years of medicine taught me to fix things. What exactly is the righting "
        "reflex, and why is it a problem if the advice was sound?": "what-is-the-righting-reflex",
        "Can you explain the difference between change talk and sustain talk, with examples "
        "from integration?": "change-talk-versus-sustain-talk",
        "What actually is the spirit of MI, and how is it not manipulation?": (
            "what-is-the-spirit-of-mi"
        ),
        "what does OARS stand for": "what-is-oars",
        "My trainer says I have a strong righting reflex. What is that, and how would I notice "
        "it?": "what-is-the-righting-reflex",
        # asked whether something is one, or named and then asked to be explained
        "Would 'you did so well' count as an affirmation, or is that praise?": (
            "affirmations-not-praise"
        ),
        "People keep saying discord and sustain talk are different, but I can't see the "
        "difference. Could you explain it with an example?": "discord-vs-sustain-talk",
    }
    for request, entry in asked.items():
        match, answered = bank.plan(request)
        assert answered == request
        assert match is not None and match.offer.id == entry, (request, match)
    assert bank.named("My client's change talk dried up after week two.") is None
    assert bank.named("What is the best way to answer sustain talk?") is None
    # asking how to work with it is not asking what it is
    assert bank.named("Could you explain how I might have strengthened her change talk?") is None


def test_requests_for_a_drill_a_structure_or_the_evidence_count_as_asking():
    for request in (
        "I'd like a practice exercise to improve my summaries.",
        "Could you propose a structure for a 50-minute session?",
        "Have you got an actual routine I could do after each shift?",
        "Is there any evidence that MI adds something in psychedelic therapy?",
        "Could you help me with the first sentence or two?",
    ):
        assert offer_request(request) == request, request
    assert offer_request("I would like to talk about a client who went quiet.") is None


def test_a_promise_of_thoughts_the_bank_cannot_keep_is_not_made_twice(indexed_env, store):
    """The first advice request with no written idea gets the permission move; the next one
    in the session is reflected with a question, not promised "a few thoughts" again."""
    agent = Supervisor(indexed_env, store=store)
    first = agent.turn(
        "Our clinic moved the team meeting to Friday afternoons and I keep missing it because "
        "of a standing session. What should I do?",
        focus="open",
    )
    assert first.offer is None and first.move == "permission"
    said = first.run()
    assert any(p in said.reply for p in agent.guide.floor.data.permission), said.reply
    second = agent.turn(
        "Also the new booking system double-books my room on Tuesdays. How should I handle it?",
        session_id=said.session_id,
    )
    assert second.offer is None and second.move == "reflect_question"
    again = second.run()
    assert not any(p in again.reply for p in agent.guide.floor.data.permission), again.reply


# Written for these tests after reading set 13's read, in other words than the set uses.
@pytest.mark.parametrize(
    "message",
    [
        "Could you write me a short summary I could use at the end?",
        "What's a better next line when she goes quiet like that?",
        "I'd like help wording the opening of our last session.",
        "How do other clinicians think about touch in ceremony work?",
        "Is there a book you'd recommend on integration?",
        "What can I actually do between back-to-back clients?",
        "How do you know when a client is ready to plan?",
    ],
)
def test_more_ways_of_asking_outright_count_as_a_request(message):
    assert offer_request(message) == message


def test_a_concept_the_trainee_wants_shown_in_use_finds_its_entry_by_name():
    bank = Offers(PROMPTS / "offers.yaml")
    shown = "I want to try elicit provide elicit next week. What would it sound like with him?"
    named = bank.named(shown)
    assert named is not None and bank.data.offers[named].id == "elicit-provide-elicit"
    assert bank.named("I used to think advice was the point. Now I'm not sure.") is None


def test_every_idea_as_given_holds_a_reflection_or_an_open_question():
    """The reading sets check each reply for a reflection or an open question; a written idea
    closing on "Which ...?" was coded a closed question and failed it when shown (17 entries
    were reworded after that was found). Real coder."""
    from coach.supervisor.offers import Match

    bank = Offers(PROMPTS / "offers.yaml")
    replies = [(o.id, bank.reply(Match(o, 1.0))) for o in bank.data.offers]
    coded = code_many([[("therapist", text)] for _, text in replies])
    failing = [
        entry
        for (entry, _), c in zip(replies, coded, strict=True)
        if not (
            any(
                code in (Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION)
                for code in c.utterances[0].miti_codes
            )
            or c.utterances[0].question_type == "open"
        )
    ]
    assert not failing, failing


def test_a_yes_to_a_permission_ask_gets_the_nearest_idea_even_when_two_entries_tie():
    """A permission ask ("I have a few thoughts ...") is a promise: after a yes the trainee gets
    the entry near the request, even one the gates would not give unasked because another entry
    on the same topic is as near (session 11: a yes drew a reflection and a stock question)."""
    bank = Offers(PROMPTS / "offers.yaml")
    nothing_near = "How do I stay curious with someone who is so certain he is cured?"
    assert bank.deliverable(nothing_near) is None
    close_call = (
        "affirmations make me cringe. is there a way to do these that doesn't sound scripted "
        "or should i just use them less"
    )
    assert bank.match(close_call) is None  # two affirmation entries tie: not given unasked
    promised = bank.deliverable(close_call)
    assert promised is not None and "affirm" in promised.offer.id
    match, _ = bank.plan("Yes please.", previous_message=close_call, previous_move="permission")
    assert match is not None and "affirm" in match.offer.id


def test_a_plain_question_one_entry_fits_clearly_gets_it_and_a_feeling_does_not():
    """Reading set 20: "Is the permission really necessary every time?" is a question, not
    worded as a request, and got a reflection and a stock question although one entry fitted
    it well ahead of the rest."""
    bank = Offers(PROMPTS / "offers.yaml")
    asked = (
        "Is asking permission before giving information really necessary every time? My "
        "clients find it stilted."
    )
    assert offer_request(asked) is None  # not worded as a request
    match, request = bank.plan(asked)
    assert request == asked and match is not None
    assert match.offer.id == "asking-permission-wording"
    feeling = (
        "I feel like an outsider on the team because I have never taken anything myself. "
        "Does that make sense?"
    )
    assert bank.plan(feeling) == (None, "")
