"""Retrieval over the knowledge index.

- dense: MiniLM similarity to the passages, through LangChain's Chroma integration;
- bm25: lexical matching over the same passages;
- questions: documents ranked by their example questions (front matter ``questions``), each
  document by its best-matching question, dense and BM25 fused; a document's first passage
  stands for it;
- hybrid: reciprocal-rank fusion of the passage rankings, plus, when
  ``retrieval_questions`` is on, the two question rankings applied to every passage of a
  document. Passages answer in a document's own terms; the questions bridge from the way a
  trainee describes a situation ("she argues with everything I say") to the concept.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Literal

from coach.knowledge.vectorstore import chroma_client, knowledge_collection, questions_collection
from coach.settings import Settings

Mode = Literal["dense", "bm25", "questions", "hybrid"]
RRF_K = 10  # reciprocal-rank-fusion constant; lower than the usual 60, see README
CANDIDATES = 20  # per retriever, before fusion
QUESTION_CANDIDATES = 40  # example questions fetched before they are grouped by document
# How often a long-lived retriever (the web app's) checks for a re-ingest by another process;
# a check reads every chunk's index hash, about 7 ms.
FRESHNESS_SECONDS = 5.0
LEXICAL_CACHES = ("_bm25", "_first_passages", "_question_bm25")
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

        from coach.knowledge.embeddings import get_embeddings

        self.settings = settings
        self.mode: Mode = mode or settings.retrieval_mode
        client = chroma_client(settings)
        self.collection = knowledge_collection(settings, client)
        self.example_questions = questions_collection(settings, client)
        if self.collection.count() == 0:
            from coach.knowledge.index import ingest

            ingest(settings)  # first use: build the index rather than answer ungrounded
        self.embeddings = get_embeddings()
        self.store = Chroma(
            client=client,
            collection_name=settings.collection,
            embedding_function=self.embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )
        self._version = ""
        self._checked_at = -FRESHNESS_SECONDS

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        k = k or self.settings.retrieval_k
        self.refresh_if_reindexed()
        if self.mode == "dense":
            return self.dense(query, k)
        if self.mode == "bm25":
            return self.bm25(query, k)
        if self.mode == "questions":
            return self.questions(query, k)
        return self.hybrid(query, k)

    def dense(self, query: str, k: int, vector: list[float] | None = None) -> list[Passage]:
        vector = vector or self.embeddings.embed_query(query)
        # Despite the name, LangChain returns cosine distances here.
        hits = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=k)
        return [
            Passage(
                chunk_id=str(doc.id),
                doc_id=doc.metadata["doc_id"],
                title=doc.metadata["title"],
                heading=doc.metadata.get("heading", ""),
                text=doc.page_content,
                score=round(1.0 - float(distance), 4),
            )
            for doc, distance in hits
        ]

    def refresh_if_reindexed(self) -> None:
        """Rebuild the lexical indexes on next use when the knowledge index has changed
        (dense search always reads Chroma live)."""
        from coach.knowledge.index import index_version, indexed_hashes

        now = time.monotonic()
        if now - self._checked_at < FRESHNESS_SECONDS:
            return
        self._checked_at = now
        version = index_version(indexed_hashes(self.collection))
        if version != self._version:
            self._version = version
            for name in LEXICAL_CACHES:
                self.__dict__.pop(name, None)

    @cached_property
    def _bm25(self) -> tuple[object, list[Passage]]:
        from rank_bm25 import BM25Okapi

        stored = self.collection.get(include=["documents", "metadatas"])
        chunks = [
            Passage(
                chunk_id=cid,
                doc_id=meta["doc_id"],
                title=meta["title"],
                heading=meta.get("heading", ""),
                text=text,
                score=0.0,
            )
            for cid, text, meta in zip(
                stored["ids"], stored["documents"], stored["metadatas"], strict=True
            )
        ]
        corpus = [words(f"{c.title} {c.heading} {c.text}") for c in chunks]
        return BM25Okapi(corpus), chunks

    def bm25(self, query: str, k: int) -> list[Passage]:
        index, chunks = self._bm25
        scores = index.get_scores(words(query))
        best = sorted(range(len(chunks)), key=lambda i: -scores[i])[:k]
        return [replace(chunks[i], score=round(float(scores[i]), 4)) for i in best]

    @cached_property
    def _first_passages(self) -> dict[str, Passage]:
        """Each document's first passage (its opening section), standing for the document."""
        first: dict[str, Passage] = {}
        for chunk in sorted(self._bm25[1], key=lambda c: int(c.chunk_id.rsplit("#", 1)[1])):
            first.setdefault(chunk.doc_id, chunk)
        return first

    @cached_property
    def _question_bm25(self) -> tuple[object, list[str]]:
        from rank_bm25 import BM25Okapi

        stored = self.example_questions.get(include=["documents", "metadatas"])
        doc_ids = [meta["doc_id"] for meta in stored["metadatas"] or []]
        corpus = [words(text) for text in stored["documents"] or []]
        return (BM25Okapi(corpus) if corpus else None), doc_ids

    def question_scores(self, query: str, vector: list[float] | None = None) -> dict[str, float]:
        """doc_id -> fused score from the example questions (empty when there are none)."""
        index, doc_ids = self._question_bm25
        if index is None:
            return {}
        vector = vector or self.embeddings.embed_query(query)
        hits = self.example_questions.query(
            query_embeddings=[vector],
            n_results=min(QUESTION_CANDIDATES, len(doc_ids)),
            include=["metadatas", "distances"],
        )
        dense: dict[str, float] = {}
        for meta, distance in zip(hits["metadatas"][0], hits["distances"][0], strict=True):
            dense[meta["doc_id"]] = max(dense.get(meta["doc_id"], -1.0), 1.0 - distance)
        lexical: dict[str, float] = {}
        for doc_id, score in zip(doc_ids, index.get_scores(words(query)), strict=True):
            if score > 0:
                lexical[doc_id] = max(lexical.get(doc_id, 0.0), float(score))
        fused: dict[str, float] = {}
        for ranked in (dense, lexical):
            for rank, doc_id in enumerate(sorted(ranked, key=lambda d: -ranked[d]), start=1):
                fused[doc_id] = fused.get(doc_id, 0.0) + 1 / (RRF_K + rank)
        return fused

    def questions(self, query: str, k: int) -> list[Passage]:
        scores = self.question_scores(query)
        best = sorted(scores, key=lambda d: -scores[d])[:k]
        first = self._first_passages
        return [replace(first[d], score=round(scores[d], 5)) for d in best if d in first]

    def hybrid(self, query: str, k: int) -> list[Passage]:
        vector = self.embeddings.embed_query(query)
        fused: dict[str, float] = {}
        passages: dict[str, Passage] = {}
        for ranked in (self.dense(query, CANDIDATES, vector), self.bm25(query, CANDIDATES)):
            for rank, passage in enumerate(ranked, start=1):
                fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1 / (RRF_K + rank)
                passages.setdefault(passage.chunk_id, passage)
        if self.settings.retrieval_questions:
            by_doc = self.question_scores(query, vector)
            for doc_id, passage in self._first_passages.items():
                if doc_id in by_doc and not any(p.doc_id == doc_id for p in passages.values()):
                    passages[passage.chunk_id] = passage  # found by its questions alone
                    fused[passage.chunk_id] = 0.0
            for cid, passage in passages.items():
                fused[cid] += by_doc.get(passage.doc_id, 0.0)
        best = sorted(fused, key=lambda cid: -fused[cid])[:k]
        return [replace(passages[cid], score=round(fused[cid], 5)) for cid in best]
