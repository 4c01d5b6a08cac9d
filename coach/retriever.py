"""Retrieval over the knowledge index: dense (MiniLM through LangChain's Chroma integration),
lexical (BM25 over the same chunks), or hybrid (reciprocal-rank fusion of the two)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Literal

from coach.settings import Settings
from coach.vectorstore import chroma_client, knowledge_collection

Mode = Literal["dense", "bm25", "hybrid"]
RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of rank 1
CANDIDATES = 20  # per retriever, before fusion
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    "a an and are as at be but by do does did for from has have how i i'm if in is it its "
    "it's me my of on or so that the their them there they this to was we what when where "
    "which who why will with you your".split()
)


def words(text: str) -> list[str]:
    """Lower-cased tokens without stopwords, lightly stemmed so 'reflections' meets
    'reflection' (no stemmer dependency for a corpus this size)."""
    out = []
    for token in WORD.findall(text.lower()):
        if token in STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(token) > len(suffix) + 3 and token.endswith(suffix):
                token = token[: -len(suffix)]
                break
        out.append(token)
    return out


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    heading: str
    text: str
    # dense: cosine similarity; bm25: BM25 score; hybrid: reciprocal-rank-fusion score
    score: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Retriever:
    """Finds the knowledge passages that answer a query."""

    def __init__(self, settings: Settings, mode: Mode | None = None) -> None:
        from langchain_chroma import Chroma

        from coach.embeddings import get_embeddings

        self.settings = settings
        self.mode: Mode = mode or settings.retrieval_mode
        client = chroma_client(settings)
        self.collection = knowledge_collection(settings, client)
        if self.collection.count() == 0:
            from coach.index import ingest

            ingest(settings)  # first use: build the index rather than answer ungrounded
        self.store = Chroma(
            client=client, collection_name=settings.collection,
            embedding_function=get_embeddings(), collection_metadata={"hnsw:space": "cosine"},
        )

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        k = k or self.settings.retrieval_k
        if self.mode == "dense":
            return self.dense(query, k)
        if self.mode == "bm25":
            return self.bm25(query, k)
        return self.hybrid(query, k)

    def dense(self, query: str, k: int) -> list[Passage]:
        hits = self.store.similarity_search_with_score(query, k=k)
        return [
            Passage(chunk_id=str(doc.id), doc_id=doc.metadata["doc_id"],
                    title=doc.metadata["title"], heading=doc.metadata.get("heading", ""),
                    text=doc.page_content, score=round(1.0 - float(distance), 4))
            for doc, distance in hits
        ]

    @cached_property
    def _bm25(self) -> tuple[object, list[Passage]]:
        from rank_bm25 import BM25Okapi

        stored = self.collection.get(include=["documents", "metadatas"])
        chunks = [
            Passage(chunk_id=cid, doc_id=meta["doc_id"], title=meta["title"],
                    heading=meta.get("heading", ""), text=text, score=0.0)
            for cid, text, meta in zip(stored["ids"], stored["documents"], stored["metadatas"],
                                       strict=True)
        ]
        corpus = [words(f"{c.title} {c.heading} {c.text}") for c in chunks]
        return BM25Okapi(corpus), chunks

    def bm25(self, query: str, k: int) -> list[Passage]:
        index, chunks = self._bm25
        scores = index.get_scores(words(query))
        best = sorted(range(len(chunks)), key=lambda i: -scores[i])[:k]
        return [replace(chunks[i], score=round(float(scores[i]), 4)) for i in best]

    def hybrid(self, query: str, k: int) -> list[Passage]:
        fused: dict[str, float] = {}
        passages: dict[str, Passage] = {}
        for ranked in (self.dense(query, CANDIDATES), self.bm25(query, CANDIDATES)):
            for rank, passage in enumerate(ranked, start=1):
                fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1 / (RRF_K + rank)
                passages.setdefault(passage.chunk_id, passage)
        best = sorted(fused, key=lambda cid: -fused[cid])[:k]
        return [replace(passages[cid], score=round(fused[cid], 5)) for cid in best]
