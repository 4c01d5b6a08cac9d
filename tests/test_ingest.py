import pytest

from coach.errors import KnowledgeError
from coach.knowledge.index import indexed_hashes, ingest
from coach.knowledge.retriever import Retriever
from coach.knowledge.vectorstore import knowledge_collection, questions_collection
from coach.settings import Settings


@pytest.fixture
def settings(knowledge_copy, tmp_path) -> Settings:
    return Settings(knowledge_dir=knowledge_copy, data_dir=tmp_path / "data")


def chunk_ids(settings: Settings, doc_id: str) -> set[str]:
    got = knowledge_collection(settings).get(where={"doc_id": doc_id})
    return set(got["ids"])


def test_reingest_touches_only_what_changed(settings, knowledge_copy):
    first = ingest(settings)
    assert set(first.added) == {p.stem for p in knowledge_copy.glob("*.md")}
    assert first.chunks_written > len(first.added)

    again = ingest(settings)
    assert not again.changed and again.chunks_written == 0
    assert again.unchanged == len(first.added) and again.version == first.version

    oars = knowledge_copy / "oars.md"
    oars.write_text(oars.read_text() + "\n## Zebra reflections\nA zebra-striped note.\n")
    (knowledge_copy / "discord.md").unlink()
    third = ingest(settings)
    assert third.updated == ["oars"] and third.removed == ["discord"] and not third.added
    assert third.version != first.version
    assert chunk_ids(settings, "discord") == set()
    assert set(indexed_hashes(knowledge_collection(settings))) == {
        p.stem for p in knowledge_copy.glob("*.md")
    }
    found = Retriever(settings).search("zebra-striped note", k=3)
    assert any(p.doc_id == "oars" and "zebra" in p.text for p in found)


def test_example_questions_follow_their_document(settings, knowledge_copy):
    ingest(settings)
    questions = questions_collection(settings)
    discord = len(questions.get(where={"doc_id": "discord"})["ids"])
    assert discord >= 8
    (knowledge_copy / "discord.md").unlink()
    oars = knowledge_copy / "oars.md"
    oars.write_text(
        oars.read_text().replace(
            "questions:\n", "questions:\n- Why does my heron keep nodding at me?\n", 1
        )
    )
    ingest(settings)
    assert questions.get(where={"doc_id": "discord"})["ids"] == []
    kept = questions.get(where={"doc_id": "oars"}, include=["documents"])["documents"]
    assert "Why does my heron keep nodding at me?" in kept
    assert len(kept) == len(set(kept))


def test_a_too_short_example_question_names_file_and_field(settings, knowledge_copy):
    oars = knowledge_copy / "oars.md"
    oars.write_text(oars.read_text().replace("questions:\n", "questions:\n- Why?\n", 1))
    with pytest.raises(
        KnowledgeError,
        match=r"oars\.md, line \d+: field 'questions': .*"
        r"'Why\?' is too short",
    ):
        ingest(settings)


def test_a_broken_file_stops_ingest_before_the_index_changes(settings, knowledge_copy):
    ingest(settings)
    before = indexed_hashes(knowledge_collection(settings))
    (knowledge_copy / "oars.md").write_text("---\nid: oars\ntitle: OARS\n  nested: x\n---\nb\n")
    (knowledge_copy / "discord.md").unlink()
    with pytest.raises(KnowledgeError, match=r"oars\.md, line 4: front matter is not valid YAML"):
        ingest(settings)
    assert indexed_hashes(knowledge_collection(settings)) == before


def test_changing_the_chunk_size_reindexes_everything(settings):
    ingest(settings)
    smaller = settings.model_copy(update={"chunk_tokens": 120})
    report = ingest(smaller)
    assert len(report.updated) == report.unchanged + len(report.updated) > 0
    assert report.unchanged == 0


def test_ingest_cli_reports_counts(cli, knowledge_copy):
    first = cli("ingest", MIE_KNOWLEDGE_DIR=str(knowledge_copy))
    assert first.exit_code == 0 and " added, 0 updated, 0 removed, 0 unchanged" in first.stdout
    second = cli("ingest", MIE_KNOWLEDGE_DIR=str(knowledge_copy))
    assert "0 added, 0 updated, 0 removed" in second.stdout


def test_ingest_cli_names_the_unreadable_file_and_line(cli, knowledge_copy):
    (knowledge_copy / "oars.md").write_bytes(b"---\nid: oars\ntitle: \xff\xfe\n---\n")
    result = cli("ingest", MIE_KNOWLEDGE_DIR=str(knowledge_copy))
    assert result.exit_code == 2
    assert "oars.md, line 3: the file is not valid UTF-8." in result.stderr
    assert "Traceback" not in result.output


def test_a_running_retriever_sees_a_reingest_by_another_process(
    settings, knowledge_copy, monkeypatch
):
    import coach.knowledge.retriever

    ingest(settings)
    retriever = Retriever(settings, mode="bm25")  # as the web app holds one
    assert not any("quokka" in p.text for p in retriever.search("quokka sanctuary", k=3))

    oars = knowledge_copy / "oars.md"
    oars.write_text(oars.read_text() + "\n## Quokka reflections\nA quokka sanctuary note.\n")
    ingest(settings)
    monkeypatch.setattr(coach.knowledge.retriever, "FRESHNESS_SECONDS", 0.0)
    found = retriever.search("quokka sanctuary", k=3)
    assert found[0].doc_id == "oars" and "quokka" in found[0].text
