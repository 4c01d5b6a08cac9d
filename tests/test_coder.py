"""The offline coder end to end (real embeddings, committed weights) and its summary."""

import numpy as np
import pytest

from coach.coder import code_conversation, code_many
from coach.coder.codes import Miti
from coach.coder.summary import THRESHOLDS, level
from coach.errors import InputError

MI_CONSISTENT = [
    ("client", "I know I should call my sister, but I'm scared she'll hang up on me."),
    ("therapist", "Part of you wants to reach out, and another part is afraid of being "
                  "rejected again."),
    ("client", "Yeah. I really do miss her though."),
    ("therapist", "You miss her a lot."),
    ("therapist", "What would make the first call feel a little safer?"),
    ("client", "Maybe if I texted first. I want to do it this week."),
    ("therapist", "It took real courage to even think about this. It's up to you when."),
]
MI_INCONSISTENT = [
    ("client", "I know I should call my sister, but I'm scared she'll hang up on me."),
    ("therapist", "You should just call her. You're making excuses."),
    ("client", "It's not that simple."),
    ("therapist", "Why can't you just admit you're avoiding it?"),
    ("therapist", "Did you call her yet?"),
]


def test_counsellor_and_client_utterances_get_their_own_fields():
    coded = code_conversation(MI_CONSISTENT)
    for u in coded.utterances:
        if u.speaker == "client":
            assert u.talk_type in {"change", "neutral", "sustain"} and not u.miti_codes
        else:
            assert u.behaviour in {"reflection", "question", "therapist_input", "other"}
            assert u.talk_type is None


def test_reflections_and_questions_are_found():
    utterances = code_conversation(MI_CONSISTENT).utterances
    assert utterances[1].reflection_type == "complex"  # double-sided
    assert Miti.COMPLEX_REFLECTION in utterances[1].miti_codes
    assert Miti.QUESTION in utterances[4].miti_codes and utterances[4].question_type == "open"
    assert utterances[4].primary == Miti.QUESTION


def test_one_utterance_can_hold_several_codes():
    coded = code_conversation([
        ("client", "I'm not sure I can keep meditating."),
        ("therapist", "You're unsure you can keep it up. What has helped on the days you did?"),
    ])
    codes = coded.utterances[1].miti_codes
    assert Miti.QUESTION in codes
    assert {Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION} & set(codes)
    assert coded.utterances[1].primary in codes


def test_client_change_and_sustain_talk():
    coded = code_conversation([
        ("therapist", "How do you feel about drinking now?"),
        ("client", "I want to quit drinking. I'm going to stop buying beer this week."),
        ("therapist", "What do you enjoy about it?"),
        ("client", "Honestly I love drinking and I don't see any reason to stop."),
    ])
    assert coded.utterances[1].talk_type == "change"
    assert coded.utterances[3].talk_type == "sustain"


def test_the_summary_separates_consistent_from_inconsistent_sessions():
    good = code_conversation(MI_CONSISTENT).summary
    bad = code_conversation(MI_INCONSISTENT).summary
    assert good.mi_non_adherent == 0 and bad.mi_non_adherent >= 3
    assert good.mi_adherent >= 2
    assert good.percent_mi_consistent == 1.0 > bad.percent_mi_consistent
    assert good.fidelity > bad.fidelity + 0.3
    assert 0 <= bad.fidelity <= good.fidelity <= 1
    assert good.reflection_to_question == pytest.approx(
        (good.counts["Simple Reflection"] + good.counts["Complex Reflection"])
        / good.counts["Question"])
    assert good.globals.relational > bad.globals.relational
    assert all(1 <= v <= 5 for v in good.globals.model_dump().values())


def test_threshold_levels_follow_miti_4_2_1():
    assert THRESHOLDS["reflection_to_question"] == (1.0, 2.0)
    assert THRESHOLDS["percent_complex_reflections"] == (0.40, 0.50)
    assert [level("technical", v) for v in (2.9, 3.0, 4.0)] == ["below fair", "fair", "good"]
    assert [level("relational", v) for v in (3.4, 3.5, 4.1)] == ["below fair", "fair", "good"]


def test_batch_coding_matches_one_at_a_time():
    alone = [code_conversation(c).utterances for c in (MI_CONSISTENT, MI_INCONSISTENT)]
    together = [c.utterances for c in code_many([MI_CONSISTENT, MI_INCONSISTENT])]
    assert together == alone  # context never leaks across conversations


def test_the_supervision_roles_are_accepted_and_others_refused():
    coded = code_conversation([("trainee", "I froze."), ("supervisor", "You froze.")])
    assert [u.speaker for u in coded.utterances] == ["client", "therapist"]
    with pytest.raises(InputError, match="Unknown speaker 'narrator'"):
        code_conversation([("narrator", "Once upon a time")])


def test_empty_conversation_has_an_empty_summary():
    coded = code_conversation([])
    assert coded.utterances == [] and coded.summary.fidelity == 0.0
    assert np.isclose(coded.summary.counsellor_utterances, 0)
