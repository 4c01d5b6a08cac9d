import json

import pytest

from coach.knowledge.retriever import Retriever


@pytest.mark.parametrize(
    ("query", "doc_ids"),
    [
        (
            "How should I ask permission before I share information with my client?",
            {"elicit-provide-elicit"},
        ),
        ("My client keeps arguing with me and the session feels tense", {"discord"}),
        (
            "I'm burning out after hearing so many hard trip stories",
            {"trainee-self-care", "vicarious-trauma"},
        ),
        (
            "What is the parallel process between supervision and therapy?",
            {"mie-is-model", "parallel-process"},
        ),
        (
            "How can I tell if my client is expressing change talk?",
            {"change-talk-and-sustain-talk"},
        ),
    ],
)
def test_retrieval_finds_a_document_that_answers(indexed_env, query, doc_ids):
    top = Retriever(indexed_env).search(query, k=3)
    assert doc_ids & {p.doc_id for p in top}


def test_search_cli_json_lists_id_title_heading_and_score(cli, indexed_env):
    query = "examples of open questions for an integration session"
    result = cli("search", query, "--k", "4", "--json")
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert len(hits) == 4
    assert {"doc_id", "title", "heading", "score", "text"} <= set(hits[0])
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert hits[0]["doc_id"] == "oars"


def test_search_cli_text_output(cli, indexed_env):
    result = cli("search", "righting reflex", "-k", "2")
    assert result.exit_code == 0
    assert result.stdout.startswith("1. ") and "score" in result.stdout
