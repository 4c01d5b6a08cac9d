"""The offline coder end to end (real embeddings, committed weights) and its summary."""

import numpy as np
import pytest

from coach.coder import code_conversation, code_many
from coach.coder.codes import Miti
from coach.coder.summary import THRESHOLDS, level
from coach.errors import InputError

MI_CONSISTENT = [
    ("client", "I know I should call my sister, but I'm scared she'll hang up on me."),
    (
        "therapist",
        "Part of you wants to reach out, and another part is afraid of being rejected again.",
    ),
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
    coded = code_conversation(
        [
            ("client", "I'm not sure I can keep meditating."),
            ("therapist", "You're unsure you can keep it up. What has helped on the days you did?"),
        ]
    )
    codes = coded.utterances[1].miti_codes
    assert Miti.QUESTION in codes
    assert {Miti.SIMPLE_REFLECTION, Miti.COMPLEX_REFLECTION} & set(codes)
    assert coded.utterances[1].primary in codes


CHANGE = [
    "I want to quit drinking. I'm going to stop buying beer this week.",
    "I need to call my sister before it's too late.",
    "I've already cut down to two drinks on weekends.",
    "I'm ready to start meditating every morning.",
    "I really want to be a better father to my kids.",
    "I could probably manage a walk every day.",
]
SUSTAIN = [
    "Honestly I love drinking and I don't see any reason to stop.",
    "I'm not going to call her. She's the one who should apologise.",
    "Meditation is a waste of time for me.",
    "I don't think I can change, I've always been like this.",
    "Smoking helps me relax, I'm not giving it up.",
    "There's no point, nothing is going to be different.",
]


def test_client_change_talk_leans_away_from_sustain_talk():
    """Client talk is the coder's weak spot (dev macro-F1 0.51, sustain F1 0.36): single
    sustain statements are often missed, so this checks the direction on average, not each
    item. The margin is P(change) - P(sustain) from the talk head."""
    from coach.coder import get_coder

    coder = get_coder()
    speakers = ["therapist", "client"] * 12
    texts = [t for s in CHANGE + SUSTAIN for t in ("How are you feeling about it now?", s)]
    probs = coder.classifier.probabilities(speakers, texts, np.array([True, False] * 12))
    labels = coder.labels["talk"]
    margin = (
        probs["talk"][1::2, labels.index("change")] - probs["talk"][1::2, labels.index("sustain")]
    )
    assert margin[:6].mean() > margin[6:].mean() + 0.3
    coded = code_conversation(
        [("therapist", "How are you feeling about it now?"), ("client", CHANGE[0])]
    )
    assert coded.utterances[1].talk_type == "change"


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
        / good.counts["Question"]
    )
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


def copy_weights(folder, names):
    import shutil

    from coach.coder.offline import WEIGHTS

    for name in names:
        shutil.copy(WEIGHTS / name, folder / name)


FINETUNED = ("coder.json", "tokenizer.json", "model.onnx")
TALK_HEAD = ("talk_head.json", "talk_head.npz", "frozen.onnx")


def test_the_fine_tuned_model_is_the_default_and_the_heads_are_the_fallback(tmp_path):
    import shutil

    from coach.coder.offline import (
        WEIGHTS,
        EmbeddingClassifier,
        FinetunedClassifier,
        load_classifier,
    )

    assert isinstance(load_classifier(), FinetunedClassifier)
    for name in ("heads.json", "heads.npz"):
        shutil.copy(WEIGHTS / name, tmp_path / name)
    fallback = load_classifier(tmp_path)
    assert isinstance(fallback, EmbeddingClassifier)
    probs = fallback.probabilities(
        ["client", "therapist"], ["I want to stop.", "You want to stop."], np.array([True, False])
    )
    assert probs["behaviour"].shape == (2, 4) and np.allclose(probs["talk"].sum(axis=1), 1)


def test_tampered_coder_weights_are_refused(tmp_path):
    from coach.coder.offline import load_classifier
    from coach.errors import ConfigError

    copy_weights(tmp_path, FINETUNED)
    with (tmp_path / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ConfigError, match="failed its sha256 check"):
        load_classifier(tmp_path)


def test_client_talk_averages_both_opinions_and_leaves_therapist_rows_alone():
    from coach.coder.offline import FinetunedClassifier

    classifier = FinetunedClassifier()
    head = classifier.talk_head
    speakers = ["therapist", "client", "therapist", "client"]
    texts = [
        "What brings you in?",
        "I'm not going to stop drinking, it's the only thing that helps.",
        "It helps you cope.",
        "I guess I could cut back on weekdays.",
    ]
    starts = np.array([True, False, False, False])
    blended = classifier.probabilities(speakers, texts, starts)["talk"]
    classifier.talk_head = None
    tuned = classifier.probabilities(speakers, texts, starts)["talk"]
    frozen = head.probabilities([texts[1], texts[3]])

    assert np.array_equal(blended[[0, 2]], tuned[[0, 2]])
    assert np.allclose(blended[[1, 3]], (1 - head.blend) * tuned[[1, 3]] + head.blend * frozen)
    assert not np.allclose(frozen, tuned[[1, 3]], atol=0.05)  # a second, different opinion
    assert np.allclose(blended.sum(axis=1), 1)


def test_frozen_vectors_do_not_depend_on_what_runs_beside_them():
    from concurrent.futures import ThreadPoolExecutor

    from coach.coder.offline import FinetunedClassifier

    encoder = FinetunedClassifier().talk_head.encoder
    texts = [
        "I want to quit smoking.",
        "I'd like to stop smoking.",
        "The bus was late today.",
        "Honestly, I don't see the point of any of this.",
    ]
    with ThreadPoolExecutor(2) as pool:
        together = encoder.encode(texts, pool)
        alone = np.concatenate([encoder.encode([t], pool) for t in texts])
    assert np.array_equal(together, alone)
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    assert together[0] @ together[1] > together[0] @ together[2] + 0.3  # it encodes meaning


def test_without_a_talk_head_the_fine_tuned_model_codes_talk_alone(tmp_path):
    from coach.coder.offline import load_classifier

    copy_weights(tmp_path, FINETUNED)
    classifier = load_classifier(tmp_path)
    assert classifier.talk_head is None
    probs = classifier.probabilities(["client"], ["I want to stop."], np.array([True]))
    assert np.allclose(probs["talk"].sum(axis=1), 1)


def test_a_tampered_or_mismatched_talk_head_is_refused(tmp_path):
    import json

    from coach.coder.offline import load_classifier
    from coach.errors import ConfigError

    copy_weights(tmp_path, FINETUNED + TALK_HEAD)
    meta = json.loads((tmp_path / "talk_head.json").read_text())
    (tmp_path / "talk_head.json").write_text(json.dumps(meta | {"labels": meta["labels"][::-1]}))
    with pytest.raises(ConfigError, match="talk head's labels"):
        load_classifier(tmp_path)
    (tmp_path / "talk_head.json").write_text(json.dumps(meta))
    with (tmp_path / "frozen.onnx").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ConfigError, match="failed its sha256 check"):
        load_classifier(tmp_path)


def test_the_model_reads_the_configured_number_of_earlier_utterances_in_its_conversation():
    from coach.coder.offline import FinetunedClassifier

    classifier = FinetunedClassifier()
    speakers = ["therapist", "client", "therapist", "client"]
    texts = ["How was the week?", "Hard.", "Hard how?", "I drank again."]
    starts = np.array([True, False, True, False])  # two conversations of two utterances
    classifier.context = 2
    assert classifier.pairs(speakers, texts, starts) == [
        ("", "therapist: How was the week?"),
        ("therapist: How was the week?", "client: Hard."),
        ("", "therapist: Hard how?"),
        ("therapist: Hard how?", "client: I drank again."),
    ]
    starts = np.array([True, False, False, False])  # one conversation
    assert classifier.pairs(speakers, texts, starts)[3] == (
        "client: Hard. therapist: Hard how?",
        "client: I drank again.",
    )
    classifier.context = 1
    assert classifier.pairs(speakers, texts, starts)[3] == (
        "therapist: Hard how?",
        "client: I drank again.",
    )


def test_parallel_runs_code_each_utterance_as_if_it_were_alone():
    conversation = MI_CONSISTENT + MI_INCONSISTENT
    whole = code_conversation(conversation).utterances
    for i in (1, 5, len(conversation) - 1):
        window = code_conversation(conversation[: i + 1]).utterances
        assert window[-1] == whole[i]  # same context, same codes, whatever ran beside it


def test_int8_products_are_exact_on_every_cpu(tmp_path):
    """uint8 x int8 products whose pairwise sums overflow 16 bits come out exact, so every CPU
    gives the same codes. Without the exact-kernel option an AVX2-only CPU returns 1048544
    here, not 2072640 (coach/coder/runtime.py); a VNNI or AMX CPU is exact either way."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from coach.coder.offline import FinetunedClassifier
    from coach.coder.runtime import EXACT_INT8, int8_session

    depth = 64
    weights = numpy_helper.from_array(np.full((depth, 4), 127, dtype=np.int8), "B")
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])],
        "products",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [None, depth])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [None, 4])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "products.onnx")

    activations = np.full((3, depth), 255, dtype=np.uint8)
    result = int8_session(tmp_path / "products.onnx").run(None, {"A": activations})[0]
    assert (result == 255 * 127 * depth).all()

    # The option is set exactly where the CPU needs it (it halves the speed elsewhere).
    from coach.coder.runtime import has_int8_dot_product

    def option(session) -> str | None:
        try:
            return session.get_session_options().get_session_config_entry(EXACT_INT8[0])
        except Exception:  # onnxruntime raises for an entry that was never set
            return None

    coder = FinetunedClassifier()
    for session in (coder.session, coder.talk_head.encoder.session):
        assert option(session) == (None if has_int8_dot_product() else "1")


def test_benchmarks_name_the_cpu_and_its_int8_instructions(tmp_path):
    from coach.coder.runtime import cpu_description

    intel, amd = tmp_path / "intel", tmp_path / "amd"
    intel.write_text("model name\t: Intel Xeon\nflags\t\t: fpu avx2 avx512_vnni amx_int8\n")
    amd.write_text("model name\t: AMD EPYC\nflags\t\t: fpu avx avx2 fma\n")
    assert cpu_description(intel) == "Intel Xeon, AVX512-VNNI, AMX"
    assert cpu_description(amd) == "AMD EPYC, no int8 dot-product instructions"


def test_the_exact_int8_kernel_is_needed_only_without_dot_product_instructions(tmp_path):
    from coach.coder.runtime import has_int8_dot_product

    vnni, avx2, unreadable = tmp_path / "vnni", tmp_path / "avx2", tmp_path / "missing"
    vnni.write_text("model name\t: Intel Xeon\nflags\t\t: fpu avx2 avx512_vnni\n")
    avx2.write_text("model name\t: AMD EPYC\nflags\t\t: fpu avx avx2 fma\n")
    assert has_int8_dot_product(vnni) and not has_int8_dot_product(avx2)
    assert not has_int8_dot_product(unreadable)  # unknown: take the exact, slower kernel
