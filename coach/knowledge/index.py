"""Incremental indexing of the knowledge base into Chroma, keyed by content hash."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.knowledge.documents import Document, chunk_document, load_documents
from coach.knowledge.embeddings import MODEL_NAME
from coach.knowledge.vectorstore import chroma_client, knowledge_collection, questions_collection
from coach.settings import Settings


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_written: int = 0
    seconds: float = 0.0
    version: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def index_hash(doc: Document, settings: Settings) -> str:
    """A document is re-indexed when its bytes, the chunk size or the embedder change."""
    key = f"{doc.content_hash}:{settings.chunk_tokens}:{MODEL_NAME}"
    return hashlib.sha256(key.encode()).hexdigest()


def indexed_hashes(collection) -> dict[str, str]:
    """doc_id -> index hash for what is in the collection now."""
    stored = collection.get(include=["metadatas"])
    return {m["doc_id"]: m["index_hash"] for m in stored["metadatas"] or []}


def index_version(hashes: dict[str, str]) -> str:
    """Short fingerprint of the whole index, recorded with every reply and eval run."""
    joined = "\n".join(f"{k}={v}" for k, v in sorted(hashes.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:12] if hashes else "empty"


def ingest(settings: Settings, progress: Callable[[str], None] | None = None) -> IngestReport:
    """Bring the index in line with ``knowledge_dir``; touch only what changed."""
    start = time.perf_counter()
    docs = load_documents(settings.knowledge_dir)  # parse everything before writing anything
    client = chroma_client(settings)
    collection = knowledge_collection(settings, client)
    questions = questions_collection(settings, client)
    current = indexed_hashes(collection)
    report = IngestReport()

    wanted = {doc.meta.id: (doc, index_hash(doc, settings)) for doc in docs}
    stale = [doc_id for doc_id in current if doc_id not in wanted]
    for doc_id in stale:
        collection.delete(where={"doc_id": doc_id})
        questions.delete(where={"doc_id": doc_id})
        report.removed.append(doc_id)

    todo = [(doc, h) for doc_id, (doc, h) in wanted.items() if current.get(doc_id) != h]
    report.unchanged = len(wanted) - len(todo)
    if todo:
        from coach.knowledge.embeddings import get_embeddings

        embedder = get_embeddings()
        for doc, doc_hash in todo:
            if progress:
                progress(doc.meta.id)
            chunks = chunk_document(doc, settings.chunk_tokens)
            vectors = embedder.encode([c.embedding_text for c in chunks])
            if doc.meta.id in current:
                collection.delete(where={"doc_id": doc.meta.id})
                questions.delete(where={"doc_id": doc.meta.id})
                report.updated.append(doc.meta.id)
            else:
                report.added.append(doc.meta.id)
            collection.upsert(
                ids=[c.id for c in chunks],
                embeddings=vectors.tolist(),
                documents=[c.text for c in chunks],
                metadatas=[
                    {
                        "doc_id": c.doc_id,
                        "title": c.title,
                        "heading": c.heading,
                        "tokens": c.tokens,
                        "index_hash": doc_hash,
                        "mi_process": doc.meta.mi_process,
                        "topics": ", ".join(doc.meta.topics),
                    }
                    for c in chunks
                ],
            )
            report.chunks_written += len(chunks)
            if doc.meta.questions:
                questions.upsert(
                    ids=[f"{doc.meta.id}?{i}" for i in range(len(doc.meta.questions))],
                    embeddings=embedder.encode(doc.meta.questions).tolist(),
                    documents=doc.meta.questions,
                    metadatas=[
                        {"doc_id": doc.meta.id, "index_hash": doc_hash} for _ in doc.meta.questions
                    ],
                )

    report.version = index_version({k: h for k, (_, h) in wanted.items()})
    report.seconds = time.perf_counter() - start
    return report
