"""The rule-based MITI codes (those AnnoMI does not label), on written examples."""

import pytest

from coach.coder import code_conversation
from coach.coder.codes import Miti
from coach.coder.rules import persuasion, relational_codes

AFFIRMS = [
    "It took real courage to tell your sister how you felt.",
    "You've worked really hard on keeping that journal every day.",
    "You clearly care about your clients.",
    "Well done for staying with her tears instead of rushing in.",
    "You're very resourceful; you found three ways to get to sessions.",
    "Through all those night shifts, you stuck with it.",
    "Every dose of the journal, every walk. You made that happen.",
]
SEEKS = [
    "Would it be okay if I shared what some trainees find helpful?",
    "May I offer an idea?",
    "What would you like to focus on today?",
    "How does that sound to you?",
    "Would you like me to say more about the afterglow?",
]
AUTONOMY = [
    "It's really up to you whether you raise this with her.",
    "You're the expert on your own life.",
    "Whatever you decide, I'll support it.",
    "Only you can know what fits for this client.",
]
CONFRONTS = [
    "You're in denial about how much you drink.",
    "That's just not true, and you know it.",
    "Why can't you just admit the session didn't change anything?",
    "You should know better than to skip integration.",
    "A good father wouldn't leave the kids with his ex while he's tripping.",
    "Is that really the kind of partner you want to be?",
    "Three nights a week is 'cutting down'? Listen to yourself.",
    "If it truly mattered to you, you'd have rung him by now.",
    "That sounds like hiding rather than actually facing it.",
    "Skipping the journal again. And how's that working out for you?",
    "Honestly, what were you thinking, driving straight home after the ceremony?",
    "Rested? By your own admission you slept four hours.",
    # after the eleventh set's misses, in other words
    "'Hopeless' is a big word for a week with two good evenings in it.",
    "'Mostly sober' is doing a lot of heavy lifting there.",
    "Skipping it is one thing; pretending it doesn't matter is another, and I suspect you know it.",
    "Perhaps. Or perhaps you needed a reason to stop coming.",
    "Do you really believe the ceremony fixed your liver?",
    "You're overreacting to one sleepless night.",
    # after the thirteenth set's misses, in other words
    "With two weeks off the pills, you think you're fine to drive the night shift?",
    "Calm enough to book the retreat, but not to phone your GP?",
    "Says the one who swore off takeaways on Monday.",
]
PERSUADES = [
    "You should call your sister this week.",
    "I'd recommend you stop seeing that client until you feel better.",
    "You could say something like: just do it.",
    "The best thing is to set a firm goal right now.",
    "A week of morning walks could well change your mind about exercise.",
    "Lots of people swear by a paper diary for this.",
    "I'd be careful about telling everyone at work so soon.",
]
NEUTRAL = [
    "You're wondering whether the insight will last.",
    "What did you notice in your body during the session?",
    "Some people sleep differently for a few weeks after a session.",
    "You want to go slowly with this.",
    "You sound like a good dad who would do anything for them.",
    "What kind of parent do you want to be after all this?",
    "You're being careful about who you tell.",
    "It really mattered to you that he listened.",
    "You're a kind person, and you know that.",
    "What happens when you sit with that for a moment?",
    "And you think you're able to keep it to weekends?",
    "What would need to happen to change your mind?",
]


@pytest.mark.parametrize(
    ("code", "text"),
    [(Miti.AFFIRM, t) for t in AFFIRMS]
    + [(Miti.SEEKING_COLLABORATION, t) for t in SEEKS]
    + [(Miti.EMPHASIZING_AUTONOMY, t) for t in AUTONOMY]
    + [(Miti.CONFRONT, t) for t in CONFRONTS],
)
def test_relational_code_is_found(code, text):
    assert code in relational_codes(text)


@pytest.mark.parametrize("text", PERSUADES)
def test_persuade_without_permission(text):
    assert persuasion(text) == Miti.PERSUADE


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("You could try a short walk each morning, if that fits for you.", ""),
        ("I'd suggest writing the letter first. What do you think?", ""),
        ("You might consider telling her first; you should pick the moment.", ""),
        ("You should start with one small call.", "What should I do about my sister?"),
        ("You should stay with him until help comes.", "He stopped responding. What should we do?"),
        # the supervisor's offer lead; coded Persuade, it made a kept offer MI-non-adherent
        ("Here is one thought, to take or leave: I'd suggest pausing before you answer.", ""),
        ("If it's useful, one more: you should name the pattern gently.", ""),
    ],
)
def test_persuade_with_permission(text, previous):
    assert persuasion(text, previous) == Miti.PERSUADE_WITH_PERMISSION


@pytest.mark.parametrize("text", NEUTRAL)
def test_plain_reflections_questions_and_information_trigger_no_rule(text):
    assert relational_codes(text) == [] and persuasion(text) is None


def test_what_would_you_like_to_do_is_an_evoking_question_not_seek():
    assert Miti.SEEKING_COLLABORATION not in relational_codes("What would you like to do about it?")


def test_a_confrontational_reflection_is_coded_confront():
    coded = code_conversation(
        [
            ("client", "I only drink on weekends."),
            ("therapist", "You're in denial about your drinking."),
        ]
    )
    codes = coded.utterances[1].miti_codes
    assert coded.utterances[1].primary == Miti.CONFRONT
    assert Miti.SIMPLE_REFLECTION not in codes and Miti.COMPLEX_REFLECTION not in codes
