"""BM25 and hybrid retrieval, the labelled question set, and `mie-coach bench retrieval`."""

import json

import pytest
import yaml

from coach.knowledge.documents import load_documents
from coach.knowledge.index import ingest
from coach.knowledge.retriever import Retriever, words
from coach.settings import REPO_ROOT, Settings
from tests.conftest import KNOWLEDGE

QUESTIONS = REPO_ROOT / "eval/retrieval.yaml"


@pytest.fixture
def settings_with_copy(knowledge_copy, tmp_path):
    return Settings(knowledge_dir=knowledge_copy, data_dir=tmp_path / "data"), knowledge_copy


def test_the_corpus_and_question_set_meet_their_sizes():
    ids = {d.meta.id for d in load_documents(KNOWLEDGE)}
    questions = yaml.safe_load(QUESTIONS.read_text())
    assert len(ids) >= 30 and len(questions) >= 60
    assert all(set(q["relevant"]) <= ids for q in questions)
    assert all(q["question"].strip() for q in questions)


def test_words_drop_stopwords_and_fold_plurals():
    # Short words keep their suffix, so "making" does not become "mak".
    assert words("The reflections I'm making are reflecting") == ["reflection", "making", "reflect"]


def test_each_mode_returns_ranked_passages(indexed_env):
    retriever = Retriever(indexed_env)
    query = "my client keeps arguing with me and the session feels tense"
    for mode in ("dense", "bm25", "questions", "hybrid"):
        passages = getattr(retriever, mode)(query, 5)
        assert len(passages) == 5
        scores = [p.score for p in passages]
        assert scores == sorted(scores, reverse=True)
    assert retriever.bm25("righting reflex", 1)[0].doc_id == "righting-reflex"


def test_hybrid_fuses_both_rankings(indexed_env):
    retriever = Retriever(indexed_env)
    query = "how do importance and confidence rulers work"
    fused = {p.chunk_id for p in retriever.hybrid(query, 10)}
    either = {p.chunk_id for p in retriever.dense(query, 20) + retriever.bm25(query, 20)}
    assert fused <= either
    top_dense, top_bm25 = retriever.dense(query, 1)[0], retriever.bm25(query, 1)[0]
    assert {top_dense.chunk_id, top_bm25.chunk_id} & fused


def test_bench_retrieval_prints_every_retriever(cli, indexed_env, tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text(
        yaml.safe_dump(
            [
                {
                    "question": "How do I ask before sharing information?",
                    "relevant": ["elicit-provide-elicit"],
                },
                {
                    "question": "I'm exhausted and dread my integration clients",
                    "relevant": ["trainee-self-care", "vicarious-trauma"],
                },
            ]
        )
    )
    result = cli("bench", "retrieval", "--questions", str(questions), "--json")
    assert result.exit_code == 0, result.output
    scores = {r["mode"]: r for r in json.loads(result.stdout)}
    assert set(scores) == {"bm25", "dense", "questions", "hybrid, passages only", "hybrid"}
    for r in scores.values():
        assert 0 <= r["recall_at_1"] <= r["recall_at_3"] <= 1 and 0 <= r["mrr"] <= 1
    table = cli("bench", "retrieval", "--questions", str(questions))
    assert "hybrid (configured)" in table.stdout and "recall@3" in table.stdout


def test_every_document_has_example_questions_in_a_trainees_words():
    for doc in load_documents(KNOWLEDGE):
        assert len(doc.meta.questions) >= 8, doc.meta.id
        headings = {
            line.lstrip("#").strip().lower()
            for line in doc.body.splitlines()
            if line.startswith("#")
        }
        assert not headings & {q.lower() for q in doc.meta.questions}, doc.meta.id


def test_example_questions_bring_in_a_document_its_passages_miss(settings_with_copy):
    settings, knowledge = settings_with_copy
    oars = knowledge / "oars.md"
    odd = "- My zebra-patterned llama keeps staring at me in the ketamine clinic.\n"
    oars.write_text(oars.read_text().replace("questions:\n", "questions:\n" + odd, 1))
    ingest(settings)
    retriever = Retriever(settings)
    query = "what about the zebra-patterned llama that stares"
    assert retriever.questions(query, 1)[0].doc_id == "oars"
    assert "llama" not in " ".join(p.text for p in retriever.bm25(query, 50) if p.doc_id == "oars")
    off = Retriever(settings.model_copy(update={"retrieval_questions": False}))
    with_questions = list(dict.fromkeys(p.doc_id for p in retriever.hybrid(query, 20)))
    without = list(dict.fromkeys(p.doc_id for p in off.hybrid(query, 20)))
    assert "oars" in with_questions[:3]
    assert "oars" not in without or without.index("oars") > with_questions.index("oars")


def test_bench_retrieval_rejects_a_broken_question_file(cli, indexed_env, tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text("- question: What is OARS?\n  relevant: [no-such-doc]\n")
    result = cli("bench", "retrieval", "--questions", str(questions))
    assert result.exit_code == 2
    assert "question 1 names an unknown document 'no-such-doc'" in result.stderr
    questions.write_text("- question: What is OARS?\n")
    result = cli("bench", "retrieval", "--questions", str(questions))
    assert result.exit_code == 2 and "entry 0.relevant: Field required" in result.stderr
