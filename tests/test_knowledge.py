from pathlib import Path

import pytest

from coach.errors import KnowledgeError
from coach.knowledge.documents import chunk_document, load_documents, parse_document
from tests.conftest import KNOWLEDGE

GOOD = """---
id: {id}
title: Reflections in integration work
topics: [reflections]
mi_process: engaging
audience: [trainee]
sources:
  - "Miller, W. R., & Rollnick, S. (2013). Motivational Interviewing (3rd ed.)."
---
# Reflections

## Simple reflections
A simple reflection repeats the meaning of what was said.

## Complex reflections
A complex reflection adds a guess at meaning or feeling.
"""

REQUIRED_SEED_TOPICS = {
    "mi-spirit",
    "oars",
    "change-talk-and-sustain-talk",
    "discord",
    "elicit-provide-elicit",
    "integration-in-pat",
    "mie-is-model",
    "trainee-self-care",
}


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / f"{name}.md"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_shipped_knowledge_base_parses_and_covers_the_seed_topics():
    docs = load_documents(KNOWLEDGE)
    assert {d.meta.id for d in docs} >= REQUIRED_SEED_TOPICS
    for doc in docs:
        words = len(doc.body.split())
        assert 300 <= words <= 1200, f"{doc.meta.id} has {words} words"
        assert doc.meta.sources


def test_chunks_follow_headings_and_respect_the_token_limit():
    docs = load_documents(KNOWLEDGE)
    for doc in docs:
        chunks = chunk_document(doc, max_tokens=120)
        assert chunks and all(c.tokens <= 120 for c in chunks)
        assert len({c.id for c in chunks}) == len(chunks)
        assert any(c.heading for c in chunks)


def test_chunk_headings_come_from_the_markdown(tmp_path):
    doc = parse_document(write(tmp_path, "reflections", GOOD.format(id="reflections")))
    chunks = chunk_document(doc, max_tokens=350)
    assert [c.heading for c in chunks] == ["Simple reflections", "Complex reflections"]
    assert "guess at meaning" in chunks[1].embedding_text
    assert chunks[1].embedding_text.startswith("Reflections in integration work — Complex")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.format(id="bad").replace("mi_process: engaging", "mi_process: deciding"),
            "bad.md, line 5: field 'mi_process'",
        ),
        (
            GOOD.format(id="bad").replace("title: Reflections in integration work\n", ""),
            "bad.md, line 2: field 'title': Field required",
        ),
        (
            GOOD.format(id="bad").replace("topics: [reflections]", "topics: [reflections"),
            "bad.md, line 5: front matter is not valid YAML",
        ),
        (GOOD.format(id="other"), "bad.md, line 2: id 'other' must match the file name"),
        ("# No front matter\ntext", "bad.md, line 1: the file must start with '---'"),
    ],
)
def test_broken_files_name_the_file_and_line(tmp_path, text, expected):
    with pytest.raises(KnowledgeError) as err:
        parse_document(write(tmp_path, "bad", text))
    assert expected in str(err.value)


def test_non_utf8_bytes_name_the_line(tmp_path):
    raw = GOOD.format(id="bad").encode().replace(b"repeats the", b"repeats \xff the")
    with pytest.raises(KnowledgeError, match=r"bad\.md, line 13: the file is not valid UTF-8"):
        parse_document(write(tmp_path, "bad", raw))
