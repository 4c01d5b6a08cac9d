"""The coherence checks, independent of the MI coder: role, copying, repetition and relevance,
with the real MiniLM embedder and the shipped prompt files; and the verified floor."""

from pathlib import Path

import pytest

from coach.settings import Settings
from coach.supervisor.coherence import coherence_checker, role_problems
from coach.supervisor.coherence.overlap import RunIndex
from coach.supervisor.floor import floor_for, swap_person
from coach.supervisor.moves import load_moves, pick_move

MESSAGE = "I think I did badly today. The client cried and I just froze and changed the subject."
GOOD = (
    "You froze when her tears came, and now you're judging yourself for it. What do you "
    "imagine she needed from you in that moment?"
)


@pytest.fixture(scope="module")
def checker():
    return coherence_checker(Settings().prompts_dir)


@pytest.mark.parametrize(
    "reply, problem",
    [
        # the replies issue 17 quotes, unedited
        (
            "A client's story reminded me of my own childhood and I have felt shaky all week.",
            "speaks as the trainee",
        ),
        (
            "Here's a revised version with some suggested edits: Six integration sessions "
            "this week have been my longest since the last session.",
            "speaks as the trainee",
        ),
        (
            "A good starting point for a therapist. The risks of the trainee are also real.",
            "third person",
        ),
        ("Trainee: I froze. Supervisor: You froze and that was hard.", "speaker label"),
        ("The four processes are engaging, focusing, evoking and planning. So what?", "'you'"),
        (  # unedited, the embedded default on the reading set; it passed every check before
            "Writing progress notes that feel honest and real is a tough decision. Here's some "
            "thoughts about the difference between what you want to do, and how it might be "
            "best handled in practice: - What does a clear outline look like?",
            "document",
        ),
        ("You want to create a dialogue with her. Here are some ideas: 1.", "document"),
        (  # unedited, reading set 3: the supervisor asks the trainee for ideas (roles swapped)
            "Starting your session this week with a lot of self-directed writing and drawings "
            "has been really helping. I'd like some ideas about how you might open up those "
            "sessions while keeping them on the request form for now.",
            "speaks as the trainee",
        ),
    ],
)
def test_role_failures_are_named(reply, problem):
    assert any(problem in p for p in role_problems(reply)), role_problems(reply)


@pytest.mark.parametrize(
    "reply",
    [
        GOOD,
        "I have a few thoughts if you'd like them. Before that, what have you already tried?",
        "I wonder whether part of you felt out of your depth. What was that like?",
        "In my experience silence can do a lot of work. How did the quiet feel to you?",
    ],
)
def test_a_supervisor_may_say_i_to_wonder_or_offer(reply):
    assert role_problems(reply) == []


def test_copying_an_exemplar_fails_and_a_written_question_does_not(checker):
    exemplar = load_prompt_lines()[0]
    [copy, fresh] = checker.check(MESSAGE, [f"{exemplar} What do you think?", GOOD])
    assert copy.failures.keys() >= {"copying"} and fresh.copied is None


def test_copying_a_retrieved_passage_fails(checker):
    passage = (
        "Integration is the work of carrying what emerged in a session into the weeks "
        "and months that follow it."
    )
    reply = (
        "You know integration is the work of carrying what emerged in a session into "
        "daily life. What part of that feels hardest for you?"
    )
    [with_passage] = checker.check(MESSAGE, [reply], passages=[passage])
    [without] = checker.check(MESSAGE, [reply])
    assert "copying" in with_passage.failures and "copying" not in without.failures


def test_six_words_of_an_earlier_reply_are_a_repetition(checker):
    earlier = ["You froze when her tears came, and it shook you. What did you notice?"]
    [again, new] = checker.check(
        MESSAGE,
        [GOOD, "Your own sense of failure is loud today. What would you say to a colleague?"],
        earlier,
    )
    assert again.repeated == "you froze when her tears came" and "repetition" in again.failures
    assert new.repeated is None


def test_relevance_ranks_a_specific_reply_above_generic_and_off_topic_ones(checker):
    generic = "That sounds like a lot. What do you think you will do next?"
    off_topic = (
        "You're weighing whether your client should book another retreat so soon. "
        "What does he hope a second one would give him?"
    )
    good, vague, elsewhere = checker.check(MESSAGE, [GOOD, generic, off_topic])
    assert good.relevance > vague.relevance and good.relevance > elsewhere.relevance
    assert good.passed, good.failures
    assert "relevance" in elsewhere.failures


def test_a_run_index_finds_runs_across_apostrophes_and_case():
    index = RunIndex(["It's the Work of carrying what emerged"], 4)
    assert index.shared("so it\u2019s the work of carrying it") == "it's the work of"
    assert index.shared("nothing shared here at all") is None


def test_the_floor_reflects_the_trainees_words_and_passes_every_check(checker):
    floor = floor_for(Settings().prompts_dir)
    earlier: list[str] = []
    for message in (
        MESSAGE,
        "I guess I was scared that if I stayed with her tears I wouldn't know what to say.",
        "Can you just tell me what to say when a client wants to stop coming?",
    ):
        reply = floor.reply(message, pick_move(message), "skills", earlier)
        [result] = checker.check(message, [reply], earlier)
        assert result.passed, (reply, result.failures)
        assert reply.endswith("?")
        earlier.append(reply)
    assert "you just froze and changed the subject" in earlier[0]
    assert "what to say when a client wants to stop coming" in earlier[2]


def test_person_swap_and_moves():
    assert (
        swap_person("I was sure my client hated me, and I'm still shaky.")
        == "you were sure your client hated you, and you're still shaky."
    )
    assert pick_move("What should I say when she argues back?") == "permission"
    assert pick_move("I finally let the silence sit and she kept talking.") == "affirm_question"
    assert (
        pick_move("I was scared that if I stayed with her tears I'd be lost.") == "reflect_question"
    )
    moves = load_moves(Settings().prompts_dir / "moves.yaml")
    assert "open question" in moves.system_for("reflect_question")


def load_prompt_lines() -> list[str]:
    import yaml

    data = yaml.safe_load(Path(Settings().prompts_dir / "exemplars.yaml").read_text())
    return [e["trainee"] for e in data["exemplars"]]


# -- the closing summary ------------------------------------------------------------------


def test_a_closing_summary_about_something_else_is_replaced_by_one_from_the_trainees_words(
    indexed_env, monkeypatch
):
    """Fake chat model: the real one cannot be made to write an off-topic summary on demand;
    the store, the checks and the composition are real."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from coach.storage.db import open_database
    from coach.storage.store import Store
    from coach.supervisor.agent import Supervisor

    store = Store(open_database(indexed_env))
    good_reply = (
        "You froze when she cried, and you're being hard on yourself about it. "
        "What do you imagine she needed?"
    )
    off_topic = (
        "My client wants to book another retreat next month. The four processes of "
        "MI are engaging, focusing, evoking and planning."
    )
    faithful = (
        "Today you said the client cried and you froze and changed the subject, and "
        "you think you did badly today. What would you like to try next time?"
    )
    monkeypatch.setattr(indexed_env, "guidance", "plain")  # the turn takes one sample
    model = GenericFakeChatModel(
        messages=iter([AIMessage(good_reply), AIMessage(off_topic), AIMessage(faithful)])
    )
    agent = Supervisor(indexed_env, chat_model=model, store=store)
    turn = agent.turn(MESSAGE, focus="skills")
    turn.run()
    composed = agent.closing_summary(turn.session_id)
    assert "you just froze and changed the subject" in composed
    assert "retreat" not in composed and composed.endswith("?")
    assert agent.closing_summary(turn.session_id) == faithful


def test_faithfulness_is_measured_but_does_not_gate(checker):
    grand = (
        "Your journey is a river of becoming that carries the light of every ancestor "
        "toward its source. What does the river ask of you?"
    )
    faithful, filler = checker.check(MESSAGE, [GOOD, grand])
    assert faithful.faithfulness > filler.faithfulness
    assert "faithfulness" in filler.failures and "faithfulness" not in filler.blocking
    assert "faithfulness" not in faithful.failures
