"""Closed and why-questions a trainee quotes, turned into open ones by rule."""

from pathlib import Path

import pytest

from coach.supervisor.floor import floor_for
from coach.supervisor.rewording import closed_questions, gerund, reworded


@pytest.mark.parametrize(
    ("verb", "ing"),
    [
        ("keep", "keeping"),
        ("make", "making"),
        ("stop", "stopping"),
        ("be", "being"),
        ("tie", "tying"),
        ("see", "seeing"),
        ("talk", "talking"),
    ],
)
def test_gerund(verb, ing):
    assert gerund(verb) == ing


@pytest.mark.parametrize(
    ("asked", "opened"),
    [
        ("Why did you skip the group?", "What led you to skip the group?"),
        ("Why didn't you call the clinic?", "What made it hard to call the clinic?"),
        ("Did the breathing help?", "What difference, if any, did the breathing make?"),
        ("Did the music feel too loud?", "How did the music feel for you?"),
        (
            "Are you going to tell your brother?",
            "What are you thinking about telling your brother?",
        ),
        ("Are you eating better?", "How are you eating?"),
        ("Was the drive home hard?", "What was the drive home like for you?"),
        ("Do you want to stop the sessions?", "How do you feel about stopping the sessions?"),
        ("Have you told her yet?", "Where are you with telling her?"),
        ("Have you been sleeping?", "How has sleeping been going?"),
        ("Are you still having the nightmares?", "What are the nightmares like these days?"),
        ("Is that something you'd want to try?", "What would it be like to try that?"),
        ("Do you think you will keep the walks?", "What might keeping the walks be like for you?"),
        ("Was it scary when the lights went out?", "What was it like when the lights went out?"),
        ("Is there anything else?", "What else feels important to bring in today?"),
    ],
)
def test_each_kind_of_closed_question_has_an_open_version(asked, opened):
    message = f'I asked "{asked}" and got one word back. Could you help me reword it?'
    assert reworded(message)[0].open == opened


def test_nothing_is_reworded_unless_asked_and_the_trainees_own_questions_are_left_alone():
    quoted = 'I asked "Did the breathing help?" and he shrugged.'
    assert closed_questions(quoted) == ["Did the breathing help?"]
    assert reworded(quoted) == []  # told, not asked for open versions
    mine = 'My question is "Did I push too hard?" Could you rephrase it for me?'
    assert reworded(mine) == []
    unknown = 'I asked "Have the dreams come back?" Could you give me an open version?'
    assert reworded(unknown) == []  # no rule fits: left out, never guessed
    having = 'I asked "Have you got a plan?" Can you help me open it up?'
    assert reworded(having) == []  # having, not doing: "Where are you with getting" is wrong


def test_the_floor_gives_the_open_versions_asked_for():
    floor = floor_for(Path(__file__).resolve().parents[1] / "prompts")
    message = (
        "Homework from my tutor: open these up. 1) Did the retreat help? 2) Are you sleeping "
        "better? Could you show me open versions?"
    )
    [reply] = floor.example(message)
    assert reply.startswith(floor.data.reworded.lead)
    assert "'Did the retreat help?' could become 'What difference, if any, did the retreat " in (
        reply
    )
    assert "'Are you sleeping better?' could become 'How are you sleeping?'" in reply
    assert reply.endswith("?") and len(reply.split()) <= 70
    assert floor.builds_for(message)  # built for these questions, it beats a written idea
    why = 'I asked her "Why did you leave the circle early?" Any alternatives that sound kinder?'
    [reply] = floor.example(why)
    assert "'What led you to leave the circle early?' or 'How did you come to leave the " in reply
    assert floor.data.reworded.why_not_why in reply
